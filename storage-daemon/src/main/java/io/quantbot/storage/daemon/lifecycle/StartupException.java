package io.quantbot.storage.daemon.lifecycle;

/**
 * The daemon cannot start for a reason the operator can act on (a data dir that is a file or not
 * writable, a port in use). The message says what and what to do; it is printed once, without a
 * stack trace, and the daemon exits with {@link #exitCode()}.
 */
public final class StartupException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** Exit code 2: the configuration points at something unusable (fix the setting or the file system). */
    public static final int BAD_SETTING = 2;
    /** Exit code 3: another process holds something the daemon needs (the data dir, a port). */
    public static final int HELD_BY_ANOTHER_PROCESS = 3;
    /** Exit code 4: the storage lost acknowledged commits (e.g. a write-ahead log cut short) and refuses to serve without them. */
    public static final int DATA_LOSS = 4;

    private final int exitCode;

    public StartupException(String message, int exitCode, Throwable cause) {
        super(message, cause);
        this.exitCode = exitCode;
    }

    public int exitCode() {
        return exitCode;
    }
}
