package io.quantbot.storage.daemon.storage;

import java.nio.file.Path;
import java.util.List;

/**
 * The folders holding the lake files this daemon serves, which the Python workers may read: the data dir's lake on
 * the embedded engine; in cluster mode also the shared warehouse's lake (where the catalog's files live). Bound by
 * each engine's module.
 */
@FunctionalInterface
public interface LakeRoots {
    List<Path> lakeDirs();
}
