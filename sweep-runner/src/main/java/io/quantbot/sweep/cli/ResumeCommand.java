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
    private static final Pattern PLAIN = Pattern.compile("[A-Za-z0-9_./:=@%+,-]+");

    private ResumeCommand() {}

    /**
     * @param originalArgs the arguments this process got (subcommand first)
     * @param sweepId pinned with {@code --sweep-id} unless the arguments already name it
     */
    static String of(List<String> originalArgs, String sweepId) {
        List<String> words = new ArrayList<>(launcher());
        boolean hasSweepId = false;
        for (String arg : originalArgs) {
            if (arg.equals("--sweep-id") || arg.startsWith("--sweep-id=")) {
                hasSweepId = true;
            }
        }
        words.addAll(originalArgs);
        if (!hasSweepId) {
            words.add("--sweep-id");
            words.add(sweepId);
        }
        List<String> quoted = new ArrayList<>(words.size());
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
