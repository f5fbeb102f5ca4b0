package io.quantbot.storage.daemon.artifact;

import static java.util.Objects.requireNonNull;

import java.util.Map;
import java.util.Optional;
import java.util.Set;

/** A ListArtifacts filter: type (empty = any), statuses, tags that must all match, a time range overlap (0 = open). */
public record ArtifactQuery(Optional<String> type, Set<ArtifactStatus> statuses, Map<String, String> tags, long fromMs, long toMs) {
    public ArtifactQuery {
        requireNonNull(type, "type is null");
        statuses = Set.copyOf(statuses);
        tags = Map.copyOf(tags);
    }

    public boolean matches(ArtifactRecord record) {
        if (type.isPresent() && !type.get().equals(record.type())) {
            return false;
        }
        if (!statuses.contains(record.status())) {
            return false;
        }
        for (Map.Entry<String, String> tag : tags.entrySet()) {
            if (!tag.getValue().equals(record.tags().get(tag.getKey()))) {
                return false;
            }
        }
        return record.overlaps(fromMs, toMs);
    }

    /** A stable description of the filter, so page tokens cannot be reused with another one. */
    public String fingerprint() {
        return type.orElse("*") + "|" + new java.util.TreeSet<>(statuses) + "|" + new java.util.TreeMap<>(tags) + "|" + fromMs + "|" + toMs;
    }
}
