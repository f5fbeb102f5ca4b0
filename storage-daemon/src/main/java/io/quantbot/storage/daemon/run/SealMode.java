package io.quantbot.storage.daemon.run;

import java.util.Locale;

/** What FinishRun does with the run's rows: seal them now, later, or together with the rest of the sweep. */
public enum SealMode {
    RUN,
    DEFER,
    SWEEP;

    public String dbValue() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static SealMode fromDbValue(String value) {
        return valueOf(value.toUpperCase(Locale.ROOT));
    }
}
