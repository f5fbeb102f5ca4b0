package io.quantbot.storage.daemon.artifact;

import java.security.SecureRandom;

/**
 * Identifiers like "art_01JD9Z6Q8V3M2KX4T7P0R5N8WB": a prefix and a ULID (48-bit millisecond time +
 * 80 random bits, Crockford base32), so ids sort by creation time and never collide in practice.
 */
public final class ArtifactIds {
    private static final char[] ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ".toCharArray();
    private static final SecureRandom RANDOM = new SecureRandom();

    private ArtifactIds() {}

    public static String newArtifactId(long nowMs) {
        return "art_" + ulid(nowMs);
    }

    public static String newRunId(long nowMs) {
        return "run_" + ulid(nowMs);
    }

    static String ulid(long nowMs) {
        char[] out = new char[26];
        long time = nowMs;
        for (int i = 9; i >= 0; i--) {
            out[i] = ALPHABET[(int) (time & 31)];
            time >>>= 5;
        }
        byte[] random = new byte[10];
        RANDOM.nextBytes(random);
        long high = ((random[0] & 0xffL) << 32) | ((random[1] & 0xffL) << 24) | ((random[2] & 0xffL) << 16) | ((random[3] & 0xffL) << 8)
                | (random[4] & 0xffL);
        long low = ((random[5] & 0xffL) << 32) | ((random[6] & 0xffL) << 24) | ((random[7] & 0xffL) << 16) | ((random[8] & 0xffL) << 8)
                | (random[9] & 0xffL);
        for (int i = 17; i >= 10; i--) {
            out[i] = ALPHABET[(int) (high & 31)];
            high >>>= 5;
        }
        for (int i = 25; i >= 18; i--) {
            out[i] = ALPHABET[(int) (low & 31)];
            low >>>= 5;
        }
        return new String(out);
    }
}
