package io.quantbot.storage.daemon.storage.duckdb;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Optional;
import java.util.zip.CRC32C;

/**
 * A small fsynced record of how far the acknowledged commits reached in DuckDB's write-ahead log, so a
 * start can tell when the WAL lost its tail (a lost or torn write on the storage after a crash) instead
 * of silently starting without the last acknowledged writes and handing their versions out again.
 *
 * <p>After each commit wave (before any caller hears of it) the writer records the commit's sequence
 * number and the WAL's length; one 4 KiB block written in place (fsynced at checkpoints and close, not
 * per wave: that cost 3-5x in Set throughput). Two slots alternate and
 * each carries a CRC32C, so a torn marker write leaves the previous slot valid. The last
 * {@value #RING} (sequence, WAL end) pairs are kept, so a loss is reported as a range of commits.
 * Before a checkpoint (which empties the WAL) the writer records a WAL end of 0; the check at start
 * compares the recorded end with the WAL's actual length before DuckDB opens (and replays) it.
 */
final class CommitMarker implements AutoCloseable {
    static final int SLOT_BYTES = 4096;
    static final int RING = 160;
    private static final long MAGIC = 0x5142434d41524b31L; // "QBCMARK1"

    private final FileChannel channel;
    private final ByteBuffer block = ByteBuffer.allocateDirect(SLOT_BYTES);
    private final Deque<Commit> recent = new ArrayDeque<>();
    private long writes;
    private long sequence;

    /** One recorded commit: its sequence number, where it ended in the WAL, and when. */
    record Commit(long sequence, long walEnd, long atMillis) {}

    /** What a start found missing: acknowledged commits beyond the WAL's end. */
    record Loss(long walBytesExpected, long walBytesFound, long firstLostSequence, long lastLostSequence, boolean rangeExact, long lastCommitMillis) {
        String describe(Path wal) {
            return "the write-ahead log " + wal + " is " + walBytesFound + " bytes long but acknowledged commits reached byte "
                    + walBytesExpected + ": commits " + (rangeExact ? "" : "up to ") + "#" + firstLostSequence + " to #" + lastLostSequence
                    + " (the last acknowledged at " + Instant.ofEpochMilli(lastCommitMillis) + ") are lost — " + (walBytesExpected - walBytesFound)
                    + " bytes of acknowledged writes. The storage lost or tore the WAL's tail (e.g. after a crash or power loss).";
        }
    }

    private CommitMarker(FileChannel channel, State state) {
        this.channel = channel;
        if (state != null) {
            this.writes = state.writes();
            this.sequence = state.sequence();
            this.recent.addAll(state.recent());
        }
    }

    /** Opens (creating and preallocating) the marker next to the database; its state is what read() returns. */
    static CommitMarker open(Path file) {
        try {
            Optional<State> state = read(file);
            FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
            if (channel.size() < 2L * SLOT_BYTES) {
                // Both slots exist from the start: later writes overwrite allocated blocks and need no new space.
                channel.write(ByteBuffer.allocate(2 * SLOT_BYTES - (int) channel.size()), channel.size());
                channel.force(true);
                Path parent = file.toAbsolutePath().getParent();
                try (FileChannel directory = FileChannel.open(parent, StandardOpenOption.READ)) {
                    directory.force(true);
                }
            }
            return new CommitMarker(channel, state.orElse(null));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open the commit marker " + file + ": " + e.getMessage(), e);
        }
    }

    /** The newest valid slot, if the marker exists and has one. */
    static Optional<State> read(Path file) throws IOException {
        if (!Files.exists(file)) {
            return Optional.empty();
        }
        byte[] bytes = Files.readAllBytes(file);
        State best = null;
        for (int slot = 0; slot < 2; slot++) {
            if (bytes.length < (slot + 1) * SLOT_BYTES) {
                break;
            }
            State state = decode(ByteBuffer.wrap(bytes, slot * SLOT_BYTES, SLOT_BYTES).slice());
            if (state != null && (best == null || state.writes() > best.writes())) {
                best = state;
            }
        }
        return Optional.ofNullable(best);
    }

    /** Compares the marker with the WAL before DuckDB opens it; empty when nothing acknowledged is missing. */
    static Optional<Loss> check(Path markerFile, Path wal, Path database) throws IOException {
        Optional<State> state = read(markerFile);
        if (state.isEmpty() || state.get().recent().isEmpty()) {
            return Optional.empty();
        }
        long found = Files.exists(wal) ? Files.size(wal) : 0;
        List<Commit> commits = state.get().recent();
        Commit last = commits.get(commits.size() - 1);
        if (last.walEnd() <= found) {
            return Optional.empty();
        }
        // DuckDB may checkpoint on its own inside a COMMIT (its checkpoint_threshold) and empty the WAL before
        // the marker hears of it. A checkpoint writes the database file; a lost WAL tail does not touch it.
        if (Files.exists(database) && Files.getLastModifiedTime(database).toMillis() >= last.atMillis()) {
            return Optional.empty();
        }
        long firstLost = last.sequence();
        boolean exact = false;
        for (int i = commits.size() - 1; i >= 0; i--) {
            Commit commit = commits.get(i);
            if (commit.walEnd() <= found) {
                exact = true;
                break;
            }
            firstLost = commit.sequence();
        }
        return Optional.of(new Loss(last.walEnd(), found, firstLost, last.sequence(), exact, last.atMillis()));
    }

    /** Records a durable commit that ends at walEnd; fsynced before it returns. Writer thread only. */
    void recordCommit(long walEnd, long nowMillis) throws IOException {
        sequence++;
        recent.addLast(new Commit(sequence, walEnd, nowMillis));
        while (recent.size() > RING) {
            recent.removeFirst();
        }
        // No fsync per wave: measured, it made gRPC Set 3-5x slower (state-bench). The WAL is fsynced before this
        // write, so the marker can lag the WAL but never lead it (no false alarms); a process crash keeps it (page cache).
        write(false);
    }

    /**
     * Restarts the expectation at walEnd without a new commit: with 0 before a checkpoint empties the WAL,
     * with the WAL's length after a checkpoint or once the database is open.
     */
    void recordPosition(long walEnd, long nowMillis) throws IOException {
        recent.clear();
        recent.addLast(new Commit(sequence, walEnd, nowMillis));
        write(true);
    }

    long sequence() {
        return sequence;
    }

    private void write(boolean sync) throws IOException {
        writes++;
        block.clear();
        block.putLong(MAGIC);
        block.putLong(writes);
        block.putLong(sequence);
        block.putInt(recent.size());
        for (Commit commit : recent) {
            block.putLong(commit.sequence());
            block.putLong(commit.walEnd());
            block.putLong(commit.atMillis());
        }
        CRC32C crc = new CRC32C();
        ByteBuffer covered = block.duplicate().flip();
        crc.update(covered);
        block.putLong(crc.getValue());
        while (block.hasRemaining()) {
            block.put((byte) 0);
        }
        block.flip();
        long offset = (writes % 2) * SLOT_BYTES;
        while (block.hasRemaining()) {
            offset += channel.write(block, offset);
        }
        if (sync) {
            channel.force(false);
        }
    }

    private static State decode(ByteBuffer slot) {
        if (slot.remaining() < 28 || slot.getLong(0) != MAGIC) {
            return null;
        }
        long writes = slot.getLong(8);
        long sequence = slot.getLong(16);
        int count = slot.getInt(24);
        if (count < 0 || count > RING) {
            return null;
        }
        int end = 28 + count * 24;
        CRC32C crc = new CRC32C();
        crc.update(slot.duplicate().position(0).limit(end));
        if (slot.getLong(end) != crc.getValue()) {
            return null; // a torn write: the other slot holds the previous state
        }
        List<Commit> commits = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            int at = 28 + i * 24;
            commits.add(new Commit(slot.getLong(at), slot.getLong(at + 8), slot.getLong(at + 16)));
        }
        return new State(writes, sequence, commits);
    }

    record State(long writes, long sequence, List<Commit> recent) {
        State {
            requireNonNull(recent, "recent is null");
            recent = List.copyOf(recent);
        }
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }
}
