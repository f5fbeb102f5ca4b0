package io.quantbot.storage.daemon.storage.pyworker;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.JarURLConnection;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The worker's Python tree, shipped as resources under {@code python/} (the quantbot-python-worker jar,
 * or the daemon's shaded jar), extracted once into {@code <root>/<content hash>/}: written to a
 * temporary folder and renamed into place, so a crash mid-way never leaves a half tree that a later
 * start would trust. An extracted tree with the same hash is reused.
 */
final class WorkerCode {
    private static final Logger log = LoggerFactory.getLogger(WorkerCode.class);
    static final String RESOURCE_ROOT = "python/";
    static final String MARKER = RESOURCE_ROOT + "quantbot_worker/__main__.py";
    private static final String COMPLETE = ".complete";

    private WorkerCode() {}

    /** Extracts the tree (or finds it already extracted) and returns the folder to put on PYTHONPATH. */
    static Path extract(Path root) throws IOException {
        Map<String, byte[]> files = load(WorkerCode.class.getClassLoader());
        String hash = hash(files);
        Path target = root.resolve(hash);
        Files.createDirectories(root);
        if (Files.exists(target.resolve(COMPLETE))) {
            log.debug("Python worker code {} already extracted in {}", hash, target);
        } else {
            Path temporary = root.resolve(".tmp-" + hash + "-" + UUID.randomUUID());
            for (Map.Entry<String, byte[]> file : files.entrySet()) {
                Path path = temporary.resolve(file.getKey()).normalize();
                if (!path.startsWith(temporary)) {
                    throw new IOException("resource name escapes the extraction folder: " + file.getKey());
                }
                Files.createDirectories(path.getParent());
                Files.write(path, file.getValue());
            }
            Files.writeString(temporary.resolve(COMPLETE), hash, StandardCharsets.UTF_8);
            try {
                moveIntoPlace(temporary, target);
                log.info("Extracted the python worker code ({} files) into {}", files.size(), target);
            } catch (FileAlreadyExistsException e) {
                deleteTree(temporary);
            }
        }
        removeOthers(root, hash);
        return target;
    }

    private static void moveIntoPlace(Path temporary, Path target) throws IOException {
        if (Files.exists(target)) {
            // A tree without its marker: an extraction that was interrupted before the rename existed.
            deleteTree(target);
        }
        try {
            Files.move(temporary, target, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            throw new IOException("cannot rename " + temporary + " to " + target + " atomically", e);
        } catch (IOException e) {
            if (Files.exists(target.resolve(COMPLETE))) {
                throw new FileAlreadyExistsException(target.toString());
            }
            throw e;
        }
    }

    /** Older trees and leftovers of interrupted extractions: one daemon owns the data dir, so nobody else uses them. */
    private static void removeOthers(Path root, String keep) {
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(root)) {
            for (Path entry : entries) {
                String name = entry.getFileName().toString();
                if (!name.equals(keep) && Files.isDirectory(entry) && (name.startsWith(".tmp-") || name.matches("[0-9a-f]{16}"))) {
                    deleteTree(entry);
                }
            }
        } catch (IOException | UncheckedIOException e) {
            log.warn("Could not clean old python worker code in {}: {}", root, e.getMessage(), e);
        }
    }

    /** The tree's files by path relative to {@code python/}, from a jar or a classes folder (a reactor build). */
    static Map<String, byte[]> load(ClassLoader loader) throws IOException {
        URL marker = loader.getResource(MARKER);
        if (marker == null) {
            throw new IOException("the python worker code (resource " + MARKER + " of the quantbot-python-worker jar) is not on the classpath");
        }
        Map<String, byte[]> files = new TreeMap<>();
        switch (marker.getProtocol()) {
            case "jar" -> {
                JarURLConnection connection = (JarURLConnection) marker.openConnection();
                connection.setUseCaches(false);
                try (JarFile jar = connection.getJarFile()) {
                    for (JarEntry entry : (Iterable<JarEntry>) jar.stream()::iterator) {
                        String name = entry.getName();
                        if (!entry.isDirectory() && name.startsWith(RESOURCE_ROOT) && keep(name)) {
                            try (InputStream in = jar.getInputStream(entry)) {
                                files.put(name.substring(RESOURCE_ROOT.length()), in.readAllBytes());
                            }
                        }
                    }
                }
            }
            case "file" -> {
                Path tree;
                try {
                    tree = Path.of(marker.toURI()).getParent().getParent();
                } catch (URISyntaxException e) {
                    throw new IOException("bad resource location " + marker, e);
                }
                try (Stream<Path> paths = Files.walk(tree)) {
                    for (Path path : (Iterable<Path>) paths.filter(Files::isRegularFile)::iterator) {
                        String name = tree.relativize(path).toString().replace('\\', '/');
                        if (keep(name)) {
                            files.put(name, Files.readAllBytes(path));
                        }
                    }
                }
            }
            default -> throw new IOException("cannot read the python worker code from " + marker);
        }
        return files;
    }

    private static boolean keep(String name) {
        return !name.contains("__pycache__/") && !name.endsWith(".pyc");
    }

    static String hash(Map<String, byte[]> files) {
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            for (Map.Entry<String, byte[]> file : files.entrySet()) {
                digest.update(file.getKey().getBytes(StandardCharsets.UTF_8));
                digest.update((byte) 0);
                digest.update(Long.toString(file.getValue().length).getBytes(StandardCharsets.US_ASCII));
                digest.update((byte) 0);
                digest.update(file.getValue());
            }
            return HexFormat.of().formatHex(digest.digest()).substring(0, 16);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }

    private static void deleteTree(Path tree) throws IOException {
        if (!Files.exists(tree)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(tree)) {
            for (Path path : (Iterable<Path>) paths.sorted(Comparator.reverseOrder())::iterator) {
                Files.deleteIfExists(path);
            }
        }
    }
}
