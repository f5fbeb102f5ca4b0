package io.quantbot.storage.daemon.config;

import java.util.List;

/** Bad configuration: every problem found, so the operator can fix them all in one go. */
public final class ConfigException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final List<String> problems;

    public ConfigException(List<String> problems) {
        super(String.join("\n", problems));
        this.problems = List.copyOf(problems);
    }

    public ConfigException(String problem) {
        this(List.of(problem));
    }

    /** Throws one exception listing every problem, if there are any. */
    public static void throwIfAny(List<String> problems) {
        if (!problems.isEmpty()) {
            throw new ConfigException(problems);
        }
    }

    public List<String> problems() {
        return problems;
    }
}
