package io.quantbot.sweep.snapshot;

import java.math.BigInteger;
import java.util.HexFormat;
import java.util.random.RandomGenerator;

/** Realistic token addresses: Solana mints (base58 of 32 bytes) and EVM addresses (0x + 40 hex). */
final class TokenAddresses {
    private static final String BASE58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
    private static final BigInteger FIFTY_EIGHT = BigInteger.valueOf(58);

    private TokenAddresses() {}

    /** A Solana mint: base58 of 32 random bytes (43–44 characters); a share ends in "pump" like pump.fun mints. */
    static String solana(RandomGenerator random, boolean pumpFunStyle) {
        byte[] bytes = new byte[32];
        random.nextBytes(bytes);
        String address = base58(bytes);
        return pumpFunStyle ? address.substring(0, address.length() - 4) + "pump" : address;
    }

    /** An EVM address, lower-case hex (a valid, non-checksummed form). */
    static String evm(RandomGenerator random) {
        byte[] bytes = new byte[20];
        random.nextBytes(bytes);
        return "0x" + HexFormat.of().formatHex(bytes);
    }

    static String base58(byte[] bytes) {
        StringBuilder text = new StringBuilder();
        BigInteger value = new BigInteger(1, bytes);
        while (value.signum() > 0) {
            BigInteger[] division = value.divideAndRemainder(FIFTY_EIGHT);
            text.append(BASE58.charAt(division[1].intValue()));
            value = division[0];
        }
        for (int index = 0; index < bytes.length && bytes[index] == 0; index++) {
            text.append('1');
        }
        return text.reverse().toString();
    }

    static boolean isBase58(String text) {
        for (int index = 0; index < text.length(); index++) {
            if (BASE58.indexOf(text.charAt(index)) < 0) {
                return false;
            }
        }
        return true;
    }
}
