package io.quantbot.storage.daemon.storage;

import io.quantbot.storage.daemon.artifact.ArtifactRecord;
import java.nio.file.Path;
import java.util.Set;
import java.util.function.Function;

/**
 * Cluster mode's outbox between the artifact catalog (PostgreSQL) and the Iceberg lake: which registered artifacts the
 * lake does not hold yet, and which retired ones it still holds. The catalog's transaction commits first and answers the
 * client; the lake publisher then appends (or removes) the file and records the snapshot here. A daemon that dies in
 * between leaves the entry pending, and any daemon's reconciler finishes it (docs/operations.md, "Cluster mode").
 */
public interface LakeOutbox {
    /** One pending entry: append the artifact's file (retire = false) or remove it (retire = true). */
    record Pending(ArtifactRecord artifact, Path file, boolean retire) {}

    /**
     * Claims one pending entry of the given types that no other daemon holds (row lock, skipped by others), runs the
     * work while holding it and records the snapshot id it returns; false when nothing is pending. A failing work
     * leaves the entry pending.
     */
    boolean claimNext(Set<String> types, Function<Pending, Long> work);

    /** Entries pending (appends and retirements) of the given types. */
    long pendingCount(Set<String> types);

    /** Called after each catalog commit that may have made an entry pending (the publisher's nudge). */
    void onCommitted(Runnable listener);
}
