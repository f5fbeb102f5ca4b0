package io.quantbot.sweep.cli;

import java.net.URISyntaxException;
import java.nio.file.Files;
import java.security.CodeSource;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/** The exact command line that resumes an interrupted sweep: how this one was started, with the sweep id pinned. */
final class ResumeCommand {
    /** Environment variable naming the command that stands for {@code java -jar sweep-runner.jar <subcommand>}. */
    static final String LAUNCHER_ENV = "SWEEP_RUNNER_LAUNCHER";
    private static final Pattern PLAIN = Pattern.compile("[A-Za-z0-9_./:=@%+,-]+");

    private ResumeCommand() {}

    /**
     * @param originalArgs the arguments this process got (subcommand first)
     * @param sweepId pinned with {@code --sweep-id} unless the arguments already name it
     */
    static String of(List<String> originalArgs, String sweepId) {
        return of(originalArgs, sweepId, System.getenv(LAUNCHER_ENV));
    }

    /**
     * @param launcher what stands for {@code java -jar sweep-runner.jar <subcommand>} (the demo script sets
     *     {@value #LAUNCHER_ENV}, so the resume line restarts the daemon too); null or blank for this process's own
     */
    static String of(List<String> originalArgs, String sweepId, String launcher) {
        boolean standIn = launcher != null && !launcher.isBlank() && !originalArgs.isEmpty();
        List<String> words = new ArrayList<>(standIn ? List.of() : launcher());
        words.addAll(standIn ? originalArgs.subList(1, originalArgs.size()) : originalArgs);
        boolean hasSweepId = originalArgs.stream().anyMatch(arg -> arg.equals("--sweep-id") || arg.startsWith("--sweep-id="));
        if (!hasSweepId) {
            words.add("--sweep-id");
            words.add(sweepId);
        }
        List<String> quoted = new ArrayList<>(words.size() + 1);
        if (standIn) {
            quoted.add(launcher.strip()); // a command line already (it may hold spaces): not quoted as one word
        }
        for (String word : words) {
            quoted.add(quote(word));
        }
        return String.join(" ", quoted);
    }

    /** {@code java -jar <the jar, relative to the working directory when inside it>}, or the main class. */
    private static List<String> launcher() {
        CodeSource source = ResumeCommand.class.getProtectionDomain().getCodeSource();
        if (source != null && source.getLocation() != null) {
            try {
                Path location = Path.of(source.getLocation().toURI());
                if (Files.isRegularFile(location) && location.toString().endsWith(".jar")) {
                    Path workingDirectory = Path.of("").toAbsolutePath();
                    Path shown = location.startsWith(workingDirectory) ? workingDirectory.relativize(location) : location;
                    return List.of("java", "-jar", shown.toString());
                }
            }
            catch (URISyntaxException | IllegalArgumentException e) {
                // Not a file location: fall through to the class name.
            }
        }
        return List.of("java", "-cp", "<classpath>", Main.class.getName());
    }

    static String quote(String word) {
        if (!word.isEmpty() && PLAIN.matcher(word).matches()) {
            return word;
        }
        return "'" + word.replace("'", "'\\''") + "'";
    }
}
