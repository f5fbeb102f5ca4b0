package io.quantbot.storage.daemon.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * A small tmpfs mounted for a test, to run out of disk for real. Needs root (mount); where mounting is
 * impossible the test is skipped with the reason, except under CI=true, where it fails.
 */
public final class SmallDisk implements AutoCloseable {
    private final Path mountPoint;

    private SmallDisk(Path mountPoint) {
        this.mountPoint = mountPoint;
    }

    public static SmallDisk mount(Path mountPoint, String size) throws IOException, InterruptedException {
        Files.createDirectories(mountPoint);
        String output;
        int exit;
        try {
            Process mount = new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=" + size + ",mode=0700", "tmpfs", mountPoint.toString())
                    .redirectErrorStream(true)
                    .start();
            output = new String(mount.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            assertThat(mount.waitFor(30, TimeUnit.SECONDS)).isTrue();
            exit = mount.exitValue();
        } catch (IOException e) {
            output = e.getMessage();
            exit = -1;
        }
        if (exit != 0) {
            String why = "cannot mount a tmpfs at " + mountPoint + " (" + output + "); this test needs root";
            if ("true".equals(System.getenv("CI"))) {
                throw new AssertionError(why + ", and CI=true never skips it");
            }
            Assumptions.abort(why);
        }
        return new SmallDisk(mountPoint);
    }

    public Path path() {
        return mountPoint;
    }

    public long usableBytes() throws IOException {
        return Files.getFileStore(mountPoint).getUsableSpace();
    }

    /** Writes a filler file that leaves about {@code leave} bytes free; returns it (delete it to free the space). */
    public Path fillLeaving(long leave) throws IOException {
        Path filler = mountPoint.resolve("filler-" + System.nanoTime());
        long size = Math.max(0, usableBytes() - leave);
        byte[] block = new byte[64 * 1024];
        try (var out = Files.newOutputStream(filler)) {
            long written = 0;
            while (written < size) {
                int chunk = (int) Math.min(block.length, size - written);
                out.write(block, 0, chunk);
                written += chunk;
            }
        }
        return filler;
    }

    @Override
    public void close() throws IOException, InterruptedException {
        Process umount = new ProcessBuilder("umount", "-l", mountPoint.toString()).redirectErrorStream(true).start();
        umount.getInputStream().readAllBytes();
        umount.waitFor(30, TimeUnit.SECONDS);
    }
}
