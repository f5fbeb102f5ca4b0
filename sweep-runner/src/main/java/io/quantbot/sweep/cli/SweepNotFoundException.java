package io.quantbot.sweep.cli;

/** The sweep id names no sweep the daemon knows (no record and no sealed results): exit code {@value ExitCodes#SWEEP_NOT_FOUND}. */
final class SweepNotFoundException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    SweepNotFoundException(String message) {
        super(message);
    }
}
