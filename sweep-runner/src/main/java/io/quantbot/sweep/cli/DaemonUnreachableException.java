package io.quantbot.sweep.cli;

/** The storage daemon did not answer (nothing listens at the target, or it went away mid-sweep): exit 3. */
final class DaemonUnreachableException extends Exception {
    DaemonUnreachableException(String message, Throwable cause) {
        super(message, cause);
    }
}
