package io.quantbot.storage.daemon.run;

import java.util.Locale;

/**
 * A run is RUNNING until FinishRun gives it a terminal status. LOST exists in cluster mode only: the daemon that owned
 * the run stopped renewing its lease before the run was sealed (its rows are gone; the scenario is run again).
 */
public enum RunStatus {
    RUNNING,
    SUCCEEDED,
    FAILED,
    CANCELLED,
    LOST;

    public boolean isTerminal() {
        return this != RUNNING;
    }

    public String dbValue() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static RunStatus fromDbValue(String value) {
        return valueOf(value.toUpperCase(Locale.ROOT));
    }
}
