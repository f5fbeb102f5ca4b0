package io.quantbot.sweep.spec;

import static java.util.Objects.requireNonNull;

import java.util.List;
import java.util.stream.Collectors;

/** A sweep file with one or more problems; carries all of them so the user fixes the file in one go. */
public final class InvalidSweepSpecException extends Exception {
    private final String source;
    private final List<SpecProblem> problems;

    public InvalidSweepSpecException(String source, List<SpecProblem> problems) {
        super(message(requireNonNull(source, "source is null"), requireNonNull(problems, "problems is null")));
        if (problems.isEmpty()) {
            throw new IllegalArgumentException("an invalid spec needs at least one problem");
        }
        this.source = source;
        this.problems = List.copyOf(problems);
    }

    public String source() {
        return source;
    }

    public List<SpecProblem> problems() {
        return problems;
    }

    private static String message(String source, List<SpecProblem> problems) {
        return problems.size() + (problems.size() == 1 ? " problem" : " problems") + " in " + source + ":\n"
                + problems.stream().map(problem -> "  " + problem).collect(Collectors.joining("\n"));
    }
}
