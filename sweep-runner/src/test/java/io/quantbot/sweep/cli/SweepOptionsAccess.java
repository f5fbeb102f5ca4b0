package io.quantbot.sweep.cli;

/** Whether a --target value passes the runner's check. */
final class SweepOptionsAccess {
    private SweepOptionsAccess() {}

    static boolean accepts(String target) {
        try {
            SweepOptions.checkTarget(target);
            return true;
        }
        catch (UsageException e) {
            return false;
        }
    }
}
