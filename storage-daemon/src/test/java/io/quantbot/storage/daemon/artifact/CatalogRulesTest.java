package io.quantbot.storage.daemon.artifact;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.quantbot.storage.daemon.error.ErrorCode;
import io.quantbot.storage.daemon.error.StorageException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The catalog rules every engine applies (dedup, supersede), decided without any storage. */
class CatalogRulesTest {
    private static final Provenance WHO = new Provenance("test", "1", "{}");

    private static ArtifactRecord record(String id, String type, String key, ArtifactStatus status, String fileHash, String contentHash) {
        return new ArtifactRecord(id, type, 1, key, status, "lake/" + id + ".parquet", "lake/" + id + ".json", fileHash, contentHash, 1, 1, 0, 0,
                1, Map.of(), List.of(), Optional.empty(), WHO, List.of());
    }

    private static StagedArtifact staged(String type, String key, String fileHash, String contentHash) {
        return new StagedArtifact(Path.of("/staging/x.parquet"), "parquet", type, 1, key, fileHash, contentHash, 1, 1, 0, 0, List.of(), Map.of(),
                List.of(), WHO, false);
    }

    @Test
    void theSameBytesOrTheSameRowsOfAnActiveArtifactAreADuplicate() {
        ArtifactRecord byRows = record("art_2", "alerts", "k", ArtifactStatus.ACTIVE, "f-other", "c1");
        ArtifactRecord byBytes = record("art_1", "alerts", "k", ArtifactStatus.ACTIVE, "f1", "c-other");
        // The file-hash match wins over an earlier content-hash match.
        assertThat(CatalogRules.duplicateOf(staged("alerts", "k", "f1", "c1"), List.of(byRows, byBytes))).contains(byBytes);
        assertThat(CatalogRules.duplicateOf(staged("alerts", "k", "f9", "c1"), List.of(byRows, byBytes))).contains(byRows);
        assertThat(CatalogRules.duplicateOf(staged("alerts", "k", "f9", "c9"), List.of(byRows, byBytes))).isEmpty();
    }

    @Test
    void retiredArtifactsAndOtherKeysAreNeverDuplicates() {
        ArtifactRecord superseded = record("art_1", "alerts", "k", ArtifactStatus.SUPERSEDED, "f1", "c1");
        ArtifactRecord tombstoned = record("art_2", "alerts", "k", ArtifactStatus.TOMBSTONED, "f1", "c1");
        ArtifactRecord otherKey = record("art_3", "alerts", "k2", ArtifactStatus.ACTIVE, "f1", "c1");
        ArtifactRecord otherType = record("art_4", "features", "k", ArtifactStatus.ACTIVE, "f1", "c1");
        assertThat(CatalogRules.duplicateOf(staged("alerts", "k", "f1", "c1"), List.of(superseded, tombstoned, otherKey, otherType))).isEmpty();
        assertThat(CatalogRules.duplicateOf(staged("alerts", "k", "f1", "c1"), List.of())).isEmpty();
    }

    @Test
    void dedupKeysSeparateTypesKeysAndTheTwoHashes() {
        List<String> keys = CatalogRules.dedupKeys("alerts", "k", "f1", "c1");
        assertThat(keys).hasSize(2).doesNotHaveDuplicates();
        assertThat(CatalogRules.dedupKeys("alerts", "k", "f1", "c1")).isEqualTo(keys);
        assertThat(CatalogRules.dedupKeys("alerts", "k2", "f1", "c1")).doesNotContainAnyElementsOf(keys);
        assertThat(CatalogRules.dedupKeys("features", "k", "f1", "c1")).doesNotContainAnyElementsOf(keys);
        // A file hash can never collide with a content hash of the same text.
        assertThat(CatalogRules.dedupKeys("alerts", "k", "x", "y").get(0)).isNotEqualTo(CatalogRules.dedupKeys("alerts", "k", "y", "x").get(1));
    }

    @Test
    void supersedeAndTombstoneFollowTheRules() {
        ArtifactRecord active = record("art_1", "alerts", "k", ArtifactStatus.ACTIVE, "f1", "c1");
        ArtifactRecord replacement = record("art_2", "alerts", "k", ArtifactStatus.ACTIVE, "f2", "c2");
        assertThat(CatalogRules.checkSupersede(active, Optional.of(replacement))).isEqualTo(ArtifactStatus.SUPERSEDED);
        assertThat(CatalogRules.checkSupersede(active, Optional.empty())).isEqualTo(ArtifactStatus.TOMBSTONED);
        expect(() -> CatalogRules.checkSupersede(record("art_1", "alerts", "k", ArtifactStatus.TOMBSTONED, "f1", "c1"), Optional.of(replacement)),
                ErrorCode.ARTIFACT_NOT_ACTIVE);
        expect(() -> CatalogRules.checkSupersede(record("art_1", "alerts", "k", ArtifactStatus.SUPERSEDED, "f1", "c1"), Optional.empty()),
                ErrorCode.ARTIFACT_NOT_ACTIVE);
        expect(() -> CatalogRules.checkSupersede(active, Optional.of(record("art_2", "alerts", "k", ArtifactStatus.TOMBSTONED, "f2", "c2"))),
                ErrorCode.ARTIFACT_NOT_ACTIVE);
        expect(() -> CatalogRules.checkSupersede(active, Optional.of(active)), ErrorCode.INVALID_ARGUMENT);
        expect(() -> CatalogRules.checkSupersede(active, Optional.of(record("art_3", "features", "k", ArtifactStatus.ACTIVE, "f3", "c3"))),
                ErrorCode.INVALID_ARGUMENT);
    }

    private static void expect(org.assertj.core.api.ThrowableAssert.ThrowingCallable call, ErrorCode code) {
        assertThatThrownBy(call).isInstanceOfSatisfying(StorageException.class, e -> assertThat(e.code()).isEqualTo(code));
    }
}
