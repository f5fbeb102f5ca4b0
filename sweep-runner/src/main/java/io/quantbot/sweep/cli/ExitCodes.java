package io.quantbot.sweep.cli;

/** Process exit codes, documented in every command's help (the *_LINE constants feed picocli's exitCodeList). */
public final class ExitCodes {
    public static final int OK = 0;
    public static final int RUN_FAILED = 1;
    public static final int BAD_USAGE = 2;
    public static final int DAEMON_UNREACHABLE = 3;
    public static final int SWEEP_NOT_FOUND = 4;
    public static final int INTERRUPTED = 130;

    static final String HEADING = "%nExit codes:%n";
    static final String OK_LINE = "0:ok";
    static final String RUN_FAILED_LINE = "1:the run failed";
    static final String BAD_USAGE_LINE = "2:bad usage or invalid sweep file, or a missing or refused token";
    static final String DAEMON_UNREACHABLE_LINE = "3:storage daemon unreachable";
    static final String SWEEP_NOT_FOUND_LINE = "4:no such sweep (sweeps show, report, compare)";
    static final String INTERRUPTED_LINE = "130:interrupted (Ctrl-C)";

    private ExitCodes() {}
}
