package io.quantbot.sweep.progress;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class ProgressReporterTest {
    private static final long SECOND = 1_000_000_000L;

    @Test
    void plain_mode_prints_a_line_every_interval_without_carriage_returns_or_escapes() {
        StringWriter text = new StringWriter();
        AtomicLong clock = new AtomicLong();
        ProgressReporter progress = new ProgressReporter("backtests", 1_000, ProgressReporter.Mode.PLAIN,
                new PrintWriter(text), clock::get, Duration.ofSeconds(5));

        clock.set(SECOND);
        progress.advance(100);          // before the first interval: nothing
        clock.set(5 * SECOND);
        progress.advance(150);          // 250 done after 5 s: 50/s, 750 left → ETA 15 s
        progress.offerBest("i=1m/lag=0s/ov=tr20", 0.12, "+12.00%");
        progress.offerBest("i=1m/lag=0s/ov=hold", 0.02, "+2.00%");
        clock.set(7 * SECOND);
        progress.advance(250);          // within the interval: nothing
        clock.set(10 * SECOND);
        progress.advance(500);
        progress.finish();
        progress.finish();

        String output = text.toString();
        assertThat(output).doesNotContain("\r").doesNotContain("\u001b");
        assertThat(output.lines()).containsExactly(
                "backtests 250/1,000 (25.0%) 50/s ETA 0:15",
                "backtests 1,000/1,000 (100.0%) 100/s elapsed 0:10 best i=1m/lag=0s/ov=tr20 +12.00%",
                "backtests 1,000/1,000 (100.0%) 100/s elapsed 0:10 best i=1m/lag=0s/ov=tr20 +12.00%");
    }

    @Test
    void terminal_mode_redraws_one_line() {
        StringWriter text = new StringWriter();
        AtomicLong clock = new AtomicLong();
        ProgressReporter progress = new ProgressReporter("runs", 10, ProgressReporter.Mode.TERMINAL,
                new PrintWriter(text), clock::get, Duration.ofSeconds(5));
        clock.set(SECOND);
        progress.advance(5);
        progress.replaceBest("s1", "+1.00%");
        clock.set(2 * SECOND);
        progress.advance(5);
        progress.finish();

        assertThat(text.toString()).isEqualTo("\rruns 5/10 (50.0%) 5/s ETA 0:01\u001b[K"
                + "\rruns 10/10 (100.0%) 5/s elapsed 0:02 best s1 +1.00%\u001b[K"
                + "\rruns 10/10 (100.0%) 5/s elapsed 0:02 best s1 +1.00%\u001b[K\n");
    }

    @Test
    void off_mode_prints_nothing() {
        StringWriter text = new StringWriter();
        ProgressReporter progress = new ProgressReporter("x", 1, ProgressReporter.Mode.OFF, new PrintWriter(text));
        progress.advance(1);
        progress.finish();
        assertThat(text.toString()).isEmpty();
        assertThat(progress.done()).isEqualTo(1);
    }

    @Test
    void terminal_only_on_a_console_without_no_color_or_no_progress() {
        assertThat(ProgressReporter.detectMode(true, Map.of(), false)).isEqualTo(ProgressReporter.Mode.TERMINAL);
        assertThat(ProgressReporter.detectMode(false, Map.of(), false)).isEqualTo(ProgressReporter.Mode.PLAIN);
        assertThat(ProgressReporter.detectMode(true, Map.of("NO_COLOR", ""), false)).isEqualTo(ProgressReporter.Mode.PLAIN);
        assertThat(ProgressReporter.detectMode(true, Map.of(), true)).isEqualTo(ProgressReporter.Mode.PLAIN);
    }

    @Test
    void lines_of_their_own_keep_the_bar_below_them_on_a_terminal_and_are_plain_elsewhere() {
        StringWriter terminal = new StringWriter();
        AtomicLong clock = new AtomicLong();
        ProgressReporter bar = new ProgressReporter("backtests", 10, ProgressReporter.Mode.TERMINAL,
                new PrintWriter(terminal), clock::get, Duration.ofSeconds(5));
        clock.set(SECOND);
        bar.advance(5);
        bar.println("[1/2] ok      i=1m/lag=0s/ov=hold");
        assertThat(terminal.toString()).endsWith("\r\u001b[K[1/2] ok      i=1m/lag=0s/ov=hold\nbacktests 5/10 (50.0%) 5/s ETA 0:01");
        bar.finish();
        bar.println("after the end");
        assertThat(terminal.toString()).endsWith("\nafter the end\n");

        for (ProgressReporter.Mode mode : new ProgressReporter.Mode[] {ProgressReporter.Mode.PLAIN, ProgressReporter.Mode.OFF}) {
            StringWriter plain = new StringWriter();
            ProgressReporter lines = new ProgressReporter("backtests", 10, mode, new PrintWriter(plain), clock::get,
                    Duration.ofSeconds(5));
            lines.println("[1/2] ok");
            assertThat(plain.toString()).as(mode.name()).isEqualTo("[1/2] ok" + System.lineSeparator());
        }
    }
}
