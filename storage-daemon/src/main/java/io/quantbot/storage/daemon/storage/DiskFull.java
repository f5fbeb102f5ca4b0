package io.quantbot.storage.daemon.storage;

/** Whether a failure is a file system out of space (ENOSPC) or over its quota (EDQUOT), anywhere in its cause chain. */
public final class DiskFull {
    private DiskFull() {}

    public static boolean isDiskFull(Throwable failure) {
        for (Throwable at = failure; at != null; at = at.getCause()) {
            String message = String.valueOf(at.getMessage());
            if (message.contains("No space left on device") || message.contains("Disk quota exceeded")) {
                return true;
            }
        }
        return false;
    }
}
