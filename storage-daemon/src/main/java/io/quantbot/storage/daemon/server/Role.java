package io.quantbot.storage.daemon.server;

import java.util.Locale;
import java.util.Optional;

/** What a token may do: read ⊂ write ⊂ admin. */
public enum Role {
    READ,
    WRITE,
    ADMIN;

    public boolean allows(Role required) {
        return ordinal() >= required.ordinal();
    }

    public static Optional<Role> parse(String text) {
        try {
            return Optional.of(valueOf(text.trim().toUpperCase(Locale.ROOT)));
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}
