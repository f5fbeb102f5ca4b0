package io.quantbot.sweep.progress;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.LongSupplier;

/**
 * Progress of long work on stderr: done/total, rate, ETA and best-so-far.
 *
 * <p>On a terminal it redraws one line ({@code \r} + erase to end of line) at most ten times a second;
 * elsewhere (CI, pipes, {@code NO_COLOR}, {@code --no-progress}) it prints a plain line every few
 * seconds with no {@code \r} and no escape codes, so logs stay readable. stdout is never touched.
 *
 * <p>Thread-safe: workers call {@link #advance} concurrently; at most one of them renders at a time.
 */
public final class ProgressReporter {
    /** How progress is shown. */
    public enum Mode {
        /** One redrawn line. */
        TERMINAL,
        /** A plain line every few seconds. */
        PLAIN,
        /** Nothing (library use, tests). */
        OFF
    }

    private static final long TERMINAL_INTERVAL_NANOS = Duration.ofMillis(100).toNanos();
    public static final Duration DEFAULT_PLAIN_INTERVAL = Duration.ofSeconds(5);
    private static final String ERASE_TO_END_OF_LINE = "\u001b[K";

    private final String label;
    private final long total;
    private final Mode mode;
    private final PrintWriter out;
    private final LongSupplier nanoClock;
    private final long intervalNanos;
    private final long startNanos;
    private final AtomicLong done = new AtomicLong();
    private final AtomicLong nextRenderNanos;
    private final AtomicReference<Best> best = new AtomicReference<>();
    private final Object renderLock = new Object();
    private boolean finished;

    private record Best(String label, double value, String formatted) {}

    public ProgressReporter(String label, long total, Mode mode, PrintWriter out) {
        this(label, total, mode, out, System::nanoTime, DEFAULT_PLAIN_INTERVAL);
    }

    /**
     * @param nanoClock a monotonic clock ({@link System#nanoTime} in production, a fake in tests)
     * @param plainInterval time between plain lines
     */
    public ProgressReporter(String label, long total, Mode mode, PrintWriter out, LongSupplier nanoClock,
            Duration plainInterval) {
        this.label = requireNonNull(label, "label is null");
        this.mode = requireNonNull(mode, "mode is null");
        this.out = requireNonNull(out, "out is null");
        this.nanoClock = requireNonNull(nanoClock, "nanoClock is null");
        if (total < 0) {
            throw new IllegalArgumentException("total must be >= 0");
        }
        this.total = total;
        this.intervalNanos = mode == Mode.TERMINAL ? TERMINAL_INTERVAL_NANOS
                : requireNonNull(plainInterval, "plainInterval is null").toNanos();
        this.startNanos = nanoClock.getAsLong();
        this.nextRenderNanos = new AtomicLong(startNanos + intervalNanos);
    }

    /**
     * TERMINAL only when stderr is an interactive console and neither {@code NO_COLOR} (any value,
     * per no-color.org) nor {@code --no-progress} asks otherwise.
     */
    public static Mode detectMode(boolean consolePresent, Map<String, String> environment, boolean noProgressFlag) {
        requireNonNull(environment, "environment is null");
        if (!consolePresent || noProgressFlag || environment.containsKey("NO_COLOR")) {
            return Mode.PLAIN;
        }
        return Mode.TERMINAL;
    }

    public static Mode detectMode(boolean noProgressFlag) {
        return detectMode(stderrIsTerminal(), System.getenv(), noProgressFlag);
    }

    /**
     * Whether stderr, where progress goes, is a terminal. {@code System.console()} answers for stdin and
     * stdout instead, so {@code run spec.yaml > leaderboards.txt} would lose the bar and {@code 2> log}
     * would fill the log with escape codes. Linux tells through /proc/self/fd/2; elsewhere the console is
     * the best guess there is.
     */
    public static boolean stderrIsTerminal() {
        Path stderr = Path.of("/proc/self/fd/2");
        if (Files.exists(Path.of("/proc/self/fd"))) {
            try {
                String target = Files.readSymbolicLink(stderr).toString();
                return target.startsWith("/dev/pts/") || target.startsWith("/dev/tty") || target.equals("/dev/console");
            } catch (IOException | UnsupportedOperationException | SecurityException e) {
                return false;
            }
        }
        return System.console() != null;
    }

    public void advance(long count) {
        long doneNow = done.addAndGet(count);
        if (mode == Mode.OFF) {
            return;
        }
        long now = nanoClock.getAsLong();
        long next = nextRenderNanos.get();
        if (now >= next && nextRenderNanos.compareAndSet(next, now + intervalNanos)) {
            render(doneNow, now, false);
        }
    }

    /** Offers a candidate for best-so-far; the largest value wins. {@code formatted} is how it is shown. */
    public void offerBest(String candidateLabel, double value, String formatted) {
        requireNonNull(candidateLabel, "candidateLabel is null");
        requireNonNull(formatted, "formatted is null");
        if (Double.isNaN(value)) {
            return;
        }
        Best candidate = new Best(candidateLabel, value, formatted);
        best.accumulateAndGet(candidate, (current, offered) -> current == null || Double.isNaN(current.value) || offered.value > current.value ? offered : current);
    }

    /** Sets best-so-far outright, for callers whose best can get worse (a running mean). */
    public void replaceBest(String candidateLabel, String formatted) {
        requireNonNull(candidateLabel, "candidateLabel is null");
        requireNonNull(formatted, "formatted is null");
        best.set(new Best(candidateLabel, Double.NaN, formatted));
    }

    public long done() {
        return done.get();
    }

    /**
     * Prints a line of its own (e.g. one per finished scenario) without breaking the bar: on a terminal the
     * bar is erased, the line printed and the bar drawn again below it. Printed in every mode, OFF included.
     */
    public void println(String line) {
        requireNonNull(line, "line is null");
        synchronized (renderLock) {
            if (mode == Mode.TERMINAL && !finished) {
                out.print("\r" + ERASE_TO_END_OF_LINE + line + "\n" + line(done.get(), nanoClock.getAsLong()));
            }
            else {
                out.println(line);
            }
            out.flush();
        }
    }

    /** Prints the final state (and ends the terminal line). Idempotent. */
    public void finish() {
        if (mode == Mode.OFF) {
            return;
        }
        synchronized (renderLock) {
            if (finished) {
                return;
            }
            render(done.get(), nanoClock.getAsLong(), true);
            finished = true;
        }
    }

    private void render(long doneNow, long nowNanos, boolean last) {
        synchronized (renderLock) {
            if (finished) {
                return;
            }
            String line = line(doneNow, nowNanos);
            if (mode == Mode.TERMINAL) {
                out.print("\r" + line + ERASE_TO_END_OF_LINE + (last ? "\n" : ""));
            }
            else {
                out.println(line);
            }
            out.flush();
        }
    }

    /** The text of one progress line, without control characters. */
    String line(long doneNow, long nowNanos) {
        double seconds = Math.max(1e-9, (nowNanos - startNanos) / 1e9);
        double rate = doneNow / seconds;
        StringBuilder text = new StringBuilder(label).append(' ');
        text.append(String.format(Locale.ROOT, "%,d/%,d", doneNow, total));
        if (total > 0) {
            text.append(String.format(Locale.ROOT, " (%.1f%%)", 100.0 * doneNow / total));
        }
        text.append(String.format(Locale.ROOT, " %,.0f/s", rate));
        if (doneNow >= total) {
            text.append(" elapsed ").append(clock((long) seconds));
        }
        else if (rate > 0) {
            text.append(" ETA ").append(clock((long) Math.ceil((total - doneNow) / rate)));
        }
        else {
            text.append(" ETA -");
        }
        Best current = best.get();
        if (current != null) {
            text.append(" best ").append(current.label).append(' ').append(current.formatted);
        }
        return text.toString();
    }

    private static String clock(long seconds) {
        long hours = seconds / 3600;
        long minutes = seconds / 60 % 60;
        long secs = seconds % 60;
        return hours > 0 ? String.format(Locale.ROOT, "%d:%02d:%02d", hours, minutes, secs)
                : String.format(Locale.ROOT, "%d:%02d", minutes, secs);
    }
}
