package io.quantbot.storage.daemon.state;

import io.quantbot.storage.daemon.error.ErrorCode;
import io.quantbot.storage.daemon.error.StorageException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;

/** Opaque List page tokens: the last key returned, bound to the namespace and prefix of the listing. */
final class StatePageToken {
    private static final String VERSION = "s1";

    private StatePageToken() {}

    static String encode(String namespace, String prefix, String lastKey) {
        String text = VERSION + "\n" + namespace + "\n" + prefix + "\n" + lastKey;
        return Base64.getUrlEncoder().withoutPadding().encodeToString(text.getBytes(StandardCharsets.UTF_8));
    }

    /** The key to continue after; empty token = from the start. */
    static String decode(String token, String namespace, String prefix) {
        if (token.isEmpty()) {
            return "";
        }
        String text;
        try {
            text = new String(Base64.getUrlDecoder().decode(token), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            throw invalid("page_token is not a token this daemon issued");
        }
        String[] parts = text.split("\n", 4);
        if (parts.length != 4 || !parts[0].equals(VERSION)) {
            throw invalid("page_token is not a token this daemon issued");
        }
        if (!parts[1].equals(namespace) || !parts[2].equals(prefix)) {
            throw invalid("page_token belongs to another listing (namespace '" + parts[1] + "', prefix '" + parts[2]
                    + "'); pass the same namespace and prefix as the call that returned it");
        }
        return parts[3];
    }

    private static StorageException invalid(String message) {
        return StorageException.builder(ErrorCode.INVALID_PAGE_TOKEN, message).violation("page_token", message).build();
    }
}
