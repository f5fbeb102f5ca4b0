package io.quantbot.storage.daemon.artifact;

import java.util.Locale;

/** Lifecycle of an artifact: active until superseded by a replacement or tombstoned. Files are never modified either way. */
public enum ArtifactStatus {
    ACTIVE,
    SUPERSEDED,
    TOMBSTONED;

    public String dbValue() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static ArtifactStatus fromDbValue(String value) {
        return valueOf(value.toUpperCase(Locale.ROOT));
    }
}
