package io.quantbot.sweep.remote;

/** The sweep file names calls the daemon does not have (no such artifact, or not an alerts artifact). */
public final class CallsNotFoundException extends Exception {
    public CallsNotFoundException(String message) {
        super(message);
    }
}
