package io.quantbot.storage.daemon.cli;

/** The daemon's documented exit codes. */
public final class ExitCodes {
    public static final int OK = 0;
    public static final int FAILED = 1;
    public static final int USAGE = 2;
    public static final int DATABASE_LOCKED = 3;
    public static final int DATA_LOSS = 4;

    public static final String HELP = """
            Exit codes:
              0  stopped cleanly (also after SIGTERM / Ctrl-C)
              1  failed at runtime (see the log)
              2  bad usage or bad configuration
              3  another process holds the data dir (another daemon) or a port
              4  the write-ahead log lost acknowledged commits (see the log; duckdb.accept-data-loss overrides),
                 or migrate found an artifact file missing or not matching its SHA-256""";

    private ExitCodes() {}
}
