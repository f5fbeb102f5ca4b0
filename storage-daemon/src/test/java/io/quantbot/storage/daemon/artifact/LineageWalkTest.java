package io.quantbot.storage.daemon.artifact;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/**
 * The lineage walk over the catalog port (issue 18: "lineage walks one call per node"): one outputsOf and one getAll
 * per level whatever its width, a cycle visits each node once, and a walk stops at MAX_LINEAGE_NODES saying so.
 * The catalog here is a graph in memory that counts its calls; a cycle cannot be built through the RPCs (inputs must
 * exist first), but a second engine's catalog or a hand-edited one could hold one.
 */
class LineageWalkTest {
    @Test
    void aWideAndDeepGraphCostsOneLookupPerLevelNotPerNode() {
        GraphCatalog catalog = new GraphCatalog();
        catalog.add("root");
        List<String> previous = List.of("root");
        for (int level = 1; level <= 3; level++) {
            List<String> current = new ArrayList<>();
            for (int i = 0; i < 400; i++) {
                String id = "l" + level + "_" + i;
                // Each node reads one node of the level above (round robin): 400 nodes per level.
                catalog.add(id, previous.get(i % previous.size()));
                current.add(id);
            }
            previous = current;
        }
        Lineage down = new ArtifactService(catalog).lineage("root", Lineage.Direction.DOWNSTREAM, 0);
        assertThat(down.artifacts()).hasSize(1 + 3 * 400);
        assertThat(down.edges()).hasSize(3 * 400);
        assertThat(down.truncated()).isFalse();
        // Levels 0..3 each ask for their outputs (the last finds none); levels 1..3 are fetched in one getAll each.
        assertThat(catalog.outputsOfCalls).isEqualTo(4);
        assertThat(catalog.getAllCalls).isEqualTo(3);
        assertThat(catalog.getCalls).as("only the start is fetched alone").isEqualTo(1);

        catalog.resetCounts();
        Lineage up = new ArtifactService(catalog).lineage("l3_0", Lineage.Direction.UPSTREAM, 0);
        assertThat(up.artifacts()).extracting(ArtifactRecord::id).containsExactly("l3_0", "l2_0", "l1_0", "root");
        assertThat(catalog.getAllCalls).isEqualTo(3);
        assertThat(catalog.outputsOfCalls).isZero();
    }

    @Test
    void aCycleVisitsEveryNodeOnceInBothDirections() {
        GraphCatalog catalog = new GraphCatalog();
        catalog.add("a", "c");
        catalog.add("b", "a");
        catalog.add("c", "b");
        for (Lineage.Direction direction : Lineage.Direction.values()) {
            Lineage lineage = new ArtifactService(catalog).lineage("a", direction, 0);
            assertThat(lineage.artifacts()).as(direction.name()).extracting(ArtifactRecord::id).containsExactlyInAnyOrder("a", "b", "c");
            assertThat(lineage.edges()).as(direction.name()).hasSize(3).doesNotHaveDuplicates();
            assertThat(lineage.truncated()).isFalse();
        }
    }

    @Test
    void aChainLongerThanTheNodeLimitStopsThereAndSaysSo() {
        GraphCatalog catalog = new GraphCatalog();
        catalog.add("n0");
        int length = ArtifactService.MAX_LINEAGE_NODES + 50;
        for (int i = 1; i < length; i++) {
            catalog.add("n" + i, "n" + (i - 1));
        }
        Lineage down = new ArtifactService(catalog).lineage("n0", Lineage.Direction.DOWNSTREAM, 0);
        assertThat(down.artifacts()).hasSize(ArtifactService.MAX_LINEAGE_NODES);
        assertThat(down.truncated()).isTrue();
        Lineage bounded = new ArtifactService(catalog).lineage("n0", Lineage.Direction.DOWNSTREAM, 25);
        assertThat(bounded.artifacts()).hasSize(26);
        assertThat(bounded.truncated()).as("max_depth is the caller's bound, not a truncation").isFalse();
    }

    /** Artifacts and their inputs in memory; only the lookups the lineage walk uses are implemented. */
    private static final class GraphCatalog implements LakeCatalog {
        private final Map<String, ArtifactRecord> records = new LinkedHashMap<>();
        private final Map<String, List<String>> outputs = new HashMap<>();
        int getCalls;
        int getAllCalls;
        int outputsOfCalls;

        void add(String id, String... inputs) {
            records.put(id, new ArtifactRecord(id, "run_results", 1, id, ArtifactStatus.ACTIVE, "lake/" + id + ".parquet", "lake/" + id + ".json",
                    "f" + id, "c" + id, 1, 1, 0, 0, 0, Map.of(), List.of(inputs), Optional.empty(), new Provenance("test", "1", "{}"), List.of()));
            for (String input : inputs) {
                outputs.computeIfAbsent(input, key -> new ArrayList<>()).add(id);
            }
        }

        void resetCounts() {
            getCalls = 0;
            getAllCalls = 0;
            outputsOfCalls = 0;
        }

        @Override
        public Optional<ArtifactRecord> get(String id) {
            getCalls++;
            return Optional.ofNullable(records.get(id));
        }

        @Override
        public Map<String, ArtifactRecord> getAll(Collection<String> ids) {
            getAllCalls++;
            Map<String, ArtifactRecord> found = new HashMap<>();
            ids.forEach(id -> Optional.ofNullable(records.get(id)).ifPresent(record -> found.put(id, record)));
            return found;
        }

        @Override
        public Map<String, List<String>> outputsOf(Collection<String> ids) {
            outputsOfCalls++;
            Map<String, List<String>> found = new HashMap<>();
            ids.forEach(id -> found.put(id, outputs.getOrDefault(id, List.of())));
            return found;
        }

        @Override
        public List<ArtifactRecord> list(ArtifactQuery query, String beforeId, int limit) {
            throw new UnsupportedOperationException();
        }

        @Override
        public List<ArtifactRecord> findByLogicalKey(String type, String logicalKey) {
            throw new UnsupportedOperationException();
        }

        @Override
        public List<ArtifactRecord> findActiveByTags(String type, Map<String, String> tags) {
            throw new UnsupportedOperationException();
        }

        @Override
        public CompletableFuture<Registration> register(StagedArtifact staged) {
            throw new UnsupportedOperationException();
        }

        @Override
        public CompletableFuture<List<Registration>> registerAll(List<StagedArtifact> staged) {
            throw new UnsupportedOperationException();
        }

        @Override
        public CompletableFuture<ArtifactRecord> supersede(String id, Optional<String> replacementId, String reason) {
            throw new UnsupportedOperationException();
        }

        @Override
        public ArtifactLocation location(ArtifactRecord record) {
            throw new UnsupportedOperationException();
        }

        @Override
        public Path localFile(ArtifactRecord record) {
            throw new UnsupportedOperationException();
        }
    }
}
