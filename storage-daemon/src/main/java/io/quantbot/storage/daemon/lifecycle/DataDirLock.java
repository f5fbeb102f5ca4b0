package io.quantbot.storage.daemon.lifecycle;

import static java.util.Objects.requireNonNull;

import io.quantbot.storage.daemon.config.DatabaseConfig;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The daemon's claim on its data dir: an exclusive lock on {@code <data-dir>/daemon.lock}, holding the
 * owner's PID, taken before anything else starts (before any port is opened) and released last. A second
 * daemon on the same data dir is refused at once, naming the owner, and never binds a port. Problems with
 * the data dir itself (a file, not writable) are reported here too, first, in words the operator can act on.
 */
@Singleton
public final class DataDirLock {
    private static final Logger log = LoggerFactory.getLogger(DataDirLock.class);
    public static final String FILE_NAME = "daemon.lock";

    private final Path dataDir;
    private FileChannel channel;
    private FileLock lock;

    @Inject
    public DataDirLock(DatabaseConfig config) {
        this(requireNonNull(config, "config is null").dataDir());
    }

    public DataDirLock(Path dataDir) {
        this.dataDir = requireNonNull(dataDir, "dataDir is null").toAbsolutePath().normalize();
    }

    /**
     * Creates the data dir if needed and locks it.
     *
     * @throws StartupException exit 2 if the data dir is unusable, exit 3 if another daemon holds it
     */
    public synchronized void acquire() {
        if (lock != null) {
            return;
        }
        requireUsableDirectory();
        Path file = dataDir.resolve(FILE_NAME);
        FileChannel opened;
        try {
            opened = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
        } catch (IOException e) {
            throw unusable(e);
        }
        FileLock acquired;
        try {
            acquired = opened.tryLock();
        } catch (OverlappingFileLockException e) {
            acquired = null; // this very process holds it (another daemon instance in the same JVM)
        } catch (IOException e) {
            closeQuietly(opened);
            throw unusable(e);
        }
        if (acquired == null) {
            String holder = holder(opened);
            closeQuietly(opened);
            throw new StartupException("the data dir " + dataDir + " is locked by " + holder
                    + ". Only one daemon may own a data dir: stop that process, or point data-dir elsewhere.",
                    StartupException.HELD_BY_ANOTHER_PROCESS, null);
        }
        try {
            byte[] pid = (ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.US_ASCII);
            opened.truncate(0);
            opened.write(ByteBuffer.wrap(pid), 0);
            opened.force(true);
        } catch (IOException e) {
            closeQuietly(opened);
            throw unusable(e);
        }
        channel = opened;
        lock = acquired;
        log.debug("Locked the data dir {}", dataDir);
    }

    /** Releases the lock (the PID stays in the file; a file that is not locked means nothing). */
    public synchronized void release() {
        if (lock == null) {
            return;
        }
        try {
            lock.release();
        } catch (IOException e) {
            log.warn("Releasing the data dir lock failed: {}", e.getMessage(), e);
        }
        closeQuietly(channel);
        lock = null;
        channel = null;
    }

    public Path dataDir() {
        return dataDir;
    }

    private void requireUsableDirectory() {
        if (Files.exists(dataDir) && !Files.isDirectory(dataDir)) {
            throw new StartupException("the data dir " + dataDir + " is a file, not a directory: point data-dir at a directory",
                    StartupException.BAD_SETTING, null);
        }
        try {
            Files.createDirectories(dataDir);
        } catch (IOException e) {
            throw unusable(e);
        }
        if (!Files.isWritable(dataDir)) {
            throw new StartupException("the data dir " + dataDir + " is not writable (permission denied" + (readOnlyFileSystem(dataDir)
                    ? ": read-only file system" : "") + "): give the daemon's user write access, or point data-dir elsewhere",
                    StartupException.BAD_SETTING, null);
        }
    }

    private static boolean readOnlyFileSystem(Path path) {
        try {
            return Files.getFileStore(path).isReadOnly();
        } catch (IOException e) {
            return false;
        }
    }

    private StartupException unusable(IOException e) {
        String reason;
        if (e instanceof AccessDeniedException) {
            reason = "not writable (permission denied)";
        } else if (e instanceof FileSystemException fs && fs.getReason() != null && fs.getReason().toLowerCase(java.util.Locale.ROOT).contains("read-only")) {
            reason = "not writable (permission denied: read-only file system)";
        } else if (e instanceof java.nio.file.FileAlreadyExistsException || e instanceof java.nio.file.NotDirectoryException) {
            reason = "a part of the path is a file, not a directory";
        } else if (e instanceof FileSystemException fs && fs.getReason() != null) {
            reason = fs.getReason().toLowerCase(java.util.Locale.ROOT);
        } else {
            reason = String.valueOf(e.getMessage());
        }
        String where = e instanceof FileSystemException fs && fs.getFile() != null && !fs.getFile().equals(dataDir.toString())
                ? " (at " + fs.getFile() + ")" : "";
        return new StartupException("cannot use the data dir " + dataDir + ": " + reason + where
                + ". Give the daemon's user write access, or point data-dir elsewhere", StartupException.BAD_SETTING, e);
    }

    private static String holder(FileChannel channel) {
        try {
            ByteBuffer buffer = ByteBuffer.allocate(32);
            int read = channel.read(buffer, 0);
            String pid = read <= 0 ? "" : new String(buffer.array(), 0, read, StandardCharsets.US_ASCII).strip();
            if (pid.matches("\\d{1,10}")) {
                String command = ProcessHandle.of(Long.parseLong(pid)).flatMap(handle -> handle.info().command()).orElse("");
                return "process " + pid + (command.isEmpty() ? "" : " (" + command + ")");
            }
        } catch (IOException e) {
            // fall through
        }
        return "another process";
    }

    private static void closeQuietly(FileChannel channel) {
        try {
            channel.close();
        } catch (IOException e) {
            log.debug("Closing the data dir lock file failed", e);
        }
    }
}
