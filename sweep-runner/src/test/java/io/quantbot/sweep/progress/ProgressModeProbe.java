package io.quantbot.sweep.progress;

/** Prints the progress mode the runner would choose in this process's terminal setup (for {@link ProgressFollowsStderrTest}). */
public final class ProgressModeProbe {
    private ProgressModeProbe() {}

    public static void main(String[] args) {
        System.out.println("mode=" + ProgressReporter.detectMode(false));
    }
}
