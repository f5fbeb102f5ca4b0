package io.quantbot.storage.daemon.artifact;

import static java.util.Objects.requireNonNull;

import io.quantbot.storage.daemon.error.ErrorCode;
import io.quantbot.storage.daemon.error.StorageException;
import io.quantbot.storage.daemon.input.InputText;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/** The catalog RPCs' domain service: input rules, paging, lineage walks, supersede. */
@Singleton
public final class ArtifactService {
    public static final int DEFAULT_PAGE_SIZE = 100;
    public static final int MAX_PAGE_SIZE = 10_000;
    public static final int MAX_BATCH = 10_000;
    public static final int MAX_LINEAGE_NODES = 10_000;

    private final LakeCatalog catalog;

    @Inject
    public ArtifactService(LakeCatalog catalog) {
        this.catalog = requireNonNull(catalog, "catalog is null");
    }

    public ArtifactRecord get(String id) {
        requireId("artifact_id", id);
        return catalog.get(id).orElseThrow(() -> notFound(id));
    }

    /**
     * The file of an artifact, for streaming to a client: a regular file reached without a symbolic link
     * and inside the folder the catalog keeps it under (a catalog row that points elsewhere is refused).
     */
    public Path servedFile(ArtifactRecord record) {
        Path relative = Path.of(record.path());
        if (relative.isAbsolute() || !relative.normalize().equals(relative) || relative.startsWith("..") || relative.getNameCount() == 0) {
            throw StorageException.builder(ErrorCode.PATH_NOT_ALLOWED, "artifact " + record.id() + " has a path outside the lake")
                    .metadata("artifact_id", record.id()).build();
        }
        Path file = catalog.localFile(record).normalize();
        Path base = file.getRoot().resolve(file.subpath(0, file.getNameCount() - relative.getNameCount()));
        try {
            if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS) || !file.toRealPath().startsWith(base.toRealPath())) {
                throw StorageException.builder(ErrorCode.PATH_NOT_ALLOWED, "the file of artifact " + record.id()
                        + " is not a regular file inside the lake").metadata("artifact_id", record.id()).build();
            }
        }
        catch (NoSuchFileException e) {
            throw StorageException.builder(ErrorCode.ARTIFACT_NOT_FOUND, "the file of artifact " + record.id() + " is gone")
                    .metadata("artifact_id", record.id()).build();
        }
        catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return file;
    }

    public List<Optional<ArtifactRecord>> batchGet(List<String> ids) {
        if (ids.size() > MAX_BATCH) {
            throw StorageException.builder(ErrorCode.REQUEST_TOO_LARGE, "artifact_ids has " + ids.size() + " ids; the limit is " + MAX_BATCH)
                    .metadata("limit", MAX_BATCH).build();
        }
        List<Optional<ArtifactRecord>> results = new ArrayList<>(ids.size());
        for (String id : ids) {
            results.add(catalog.get(id));
        }
        return results;
    }

    public ArtifactPage list(ArtifactQuery query, int pageSize, String pageToken) {
        if (pageSize < 0) {
            throw invalid("page_size", "page_size must be >= 0 (0 = default " + DEFAULT_PAGE_SIZE + ")");
        }
        if (query.fromMs() < 0 || query.toMs() < 0 || (query.toMs() != 0 && query.toMs() <= query.fromMs())) {
            throw StorageException.builder(ErrorCode.INVALID_TIME_RANGE, "the time range [from_ms, to_ms) is empty or negative (0 = open)")
                    .violation("to_ms", "must be after from_ms, or 0").build();
        }
        int size = pageSize == 0 ? DEFAULT_PAGE_SIZE : Math.min(pageSize, MAX_PAGE_SIZE);
        String after = decodeToken(pageToken, query.fingerprint());
        // One more than the page, to know whether another page follows; the engine applies bound and limit.
        List<ArtifactRecord> page = new ArrayList<>(catalog.list(query, after, size + 1));
        boolean more = page.size() > size;
        if (more) {
            page.remove(page.size() - 1);
        }
        return new ArtifactPage(page, more ? encodeToken(query.fingerprint(), page.get(page.size() - 1).id()) : "");
    }

    public List<ArtifactRecord> findByLogicalKey(String type, String logicalKey, boolean includeInactive) {
        if (type.isEmpty()) {
            throw invalid("type", "type is required");
        }
        InputText.name("logical_key", logicalKey, 512);
        return catalog.findByLogicalKey(type, logicalKey).stream().filter(record -> includeInactive || record.isActive()).toList();
    }

    /** Breadth-first over inputs (upstream) and/or outputs (downstream), up to maxDepth (0 = unlimited). */
    public Lineage lineage(String id, Lineage.Direction direction, int maxDepth) {
        ArtifactRecord start = get(id);
        if (maxDepth < 0) {
            throw invalid("max_depth", "max_depth must be >= 0 (0 = unlimited)");
        }
        Map<String, ArtifactRecord> seen = new LinkedHashMap<>();
        Set<Lineage.Edge> edges = new LinkedHashSet<>();
        seen.put(start.id(), start);
        boolean truncated = false;
        if (direction != Lineage.Direction.DOWNSTREAM) {
            truncated |= walk(start, true, maxDepth, seen, edges);
        }
        if (direction != Lineage.Direction.UPSTREAM) {
            truncated |= walk(start, false, maxDepth, seen, edges);
        }
        return new Lineage(new ArrayList<>(seen.values()), new ArrayList<>(edges), truncated);
    }

    /**
     * Breadth-first, one level at a time: each level costs one catalog lookup for its neighbours (outputs, when
     * walking downstream) and one for their records, whatever its width. A cycle cannot loop: a node is visited once.
     */
    private boolean walk(ArtifactRecord start, boolean upstream, int maxDepth, Map<String, ArtifactRecord> seen, Set<Lineage.Edge> edges) {
        List<ArtifactRecord> level = List.of(start);
        int depth = 0;
        while (!level.isEmpty() && (maxDepth == 0 || depth < maxDepth)) {
            Map<String, List<String>> outputs = upstream ? Map.of() : catalog.outputsOf(level.stream().map(ArtifactRecord::id).toList());
            Set<String> wanted = new LinkedHashSet<>();
            for (ArtifactRecord current : level) {
                List<String> next = upstream ? current.inputIds() : outputs.getOrDefault(current.id(), List.of());
                for (String neighbour : next) {
                    edges.add(upstream ? new Lineage.Edge(neighbour, current.id()) : new Lineage.Edge(current.id(), neighbour));
                    if (!seen.containsKey(neighbour)) {
                        wanted.add(neighbour);
                    }
                }
            }
            Map<String, ArtifactRecord> found = wanted.isEmpty() ? Map.of() : catalog.getAll(wanted);
            List<ArtifactRecord> nextLevel = new ArrayList<>();
            for (String id : wanted) {
                ArtifactRecord record = found.get(id);
                if (record == null) {
                    continue;
                }
                if (seen.size() >= MAX_LINEAGE_NODES) {
                    return true;
                }
                seen.put(id, record);
                nextLevel.add(record);
            }
            level = nextLevel;
            depth++;
        }
        return false;
    }

    public CompletableFuture<ArtifactRecord> supersede(String id, Optional<String> replacementId, String reason) {
        requireId("artifact_id", id);
        replacementId.ifPresent(replacement -> requireId("replacement_id", replacement));
        InputText.optionalName("reason", reason, 1024);
        return catalog.supersede(id, replacementId, reason.isEmpty() ? (replacementId.isPresent() ? "superseded" : "tombstoned") : reason);
    }

    private static void requireId(String field, String id) {
        if (id.isEmpty()) {
            throw invalid(field, field + " is required");
        }
        if (id.length() > 64) {
            throw invalid(field, field + " is not an artifact id");
        }
    }

    private static String encodeToken(String fingerprint, String lastId) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(("a1\n" + fingerprint + "\n" + lastId).getBytes(StandardCharsets.UTF_8));
    }

    private static String decodeToken(String token, String fingerprint) {
        if (token.isEmpty()) {
            return "";
        }
        try {
            String[] parts = new String(Base64.getUrlDecoder().decode(token), StandardCharsets.UTF_8).split("\n", 3);
            if (parts.length == 3 && parts[0].equals("a1") && parts[1].equals(fingerprint)) {
                return parts[2];
            }
        } catch (IllegalArgumentException e) {
            // fall through
        }
        throw StorageException.builder(ErrorCode.INVALID_PAGE_TOKEN, "page_token does not belong to this listing (same filters are required)")
                .violation("page_token", "pass the token of the previous page of the same listing").build();
    }

    static StorageException notFound(String id) {
        return StorageException.builder(ErrorCode.ARTIFACT_NOT_FOUND, "no artifact " + id).metadata("artifact_id", id).build();
    }

    private static StorageException invalid(String field, String message) {
        return StorageException.builder(ErrorCode.INVALID_ARGUMENT, message).violation(field, message).build();
    }

    public record ArtifactPage(List<ArtifactRecord> artifacts, String nextPageToken) {
        public ArtifactPage {
            artifacts = List.copyOf(artifacts);
        }
    }
}
