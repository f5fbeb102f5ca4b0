package io.quantbot.storage.daemon.storage.pyworker;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.MessageLite;
import com.google.protobuf.Parser;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Optional;

/**
 * Frames of the worker protocol: a 4-byte big-endian unsigned length, then that many bytes of one
 * serialized message. The limit matches the worker's own (python-worker framing.py).
 */
final class WorkerFraming {
    static final int MAX_FRAME_BYTES = 256 * 1024 * 1024;
    private static final int HEADER_BYTES = 4;

    private WorkerFraming() {}

    /** Writes one frame and flushes; the caller serializes writers. */
    static void write(OutputStream out, MessageLite message) throws IOException {
        byte[] payload = message.toByteArray();
        if (payload.length > MAX_FRAME_BYTES) {
            throw new FramingException("outgoing frame of " + payload.length + " bytes is larger than the limit of " + MAX_FRAME_BYTES);
        }
        byte[] frame = new byte[HEADER_BYTES + payload.length];
        frame[0] = (byte) (payload.length >>> 24);
        frame[1] = (byte) (payload.length >>> 16);
        frame[2] = (byte) (payload.length >>> 8);
        frame[3] = (byte) payload.length;
        System.arraycopy(payload, 0, frame, HEADER_BYTES, payload.length);
        out.write(frame);
        out.flush();
    }

    /**
     * Reads the next frame: empty at a clean end of stream (EOF exactly between frames).
     *
     * @throws FramingException if the stream ends inside a frame, a length is above the limit or the
     *     payload does not parse
     */
    static <T extends MessageLite> Optional<T> read(InputStream in, Parser<T> parser, String messageName) throws IOException {
        byte[] header = in.readNBytes(HEADER_BYTES);
        if (header.length == 0) {
            return Optional.empty();
        }
        if (header.length < HEADER_BYTES) {
            throw new FramingException("the stream ended inside a frame header (" + header.length + " of 4 bytes)");
        }
        long length = ((header[0] & 0xFFL) << 24) | ((header[1] & 0xFFL) << 16) | ((header[2] & 0xFFL) << 8) | (header[3] & 0xFFL);
        if (length > MAX_FRAME_BYTES) {
            throw new FramingException("frame length " + length + " is larger than the limit of " + MAX_FRAME_BYTES + " bytes");
        }
        byte[] payload = in.readNBytes((int) length);
        if (payload.length < length) {
            throw new FramingException("the stream ended inside a frame (" + payload.length + " of " + length + " bytes)");
        }
        try {
            return Optional.of(parser.parseFrom(payload));
        } catch (InvalidProtocolBufferException e) {
            throw new FramingException("a frame of " + length + " bytes does not parse as a " + messageName + ": " + e.getMessage(), e);
        }
    }
}
