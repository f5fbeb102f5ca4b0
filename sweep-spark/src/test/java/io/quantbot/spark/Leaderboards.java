package io.quantbot.spark;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.List;

/**
 * Two CSV leaderboard outputs compared cell by cell: every text and count equal, every number equal up to the last
 * bits of a double (1e-12 relative). The daemon's AnalyzeSweep sums the same rows in an order that depends on how they
 * were sealed into run_results files (run seals in up to four waves, Spark once per task), so a mean may differ in its
 * 16th significant digit; percentiles, counts and win rates are identical.
 */
final class Leaderboards {
    private Leaderboards() {}

    static void assertSame(String actual, String expected) {
        List<String> actualLines = actual.lines().toList();
        List<String> expectedLines = expected.lines().toList();
        assertThat(actualLines).as("leaderboard lines").hasSameSizeAs(expectedLines).isNotEmpty();
        for (int line = 0; line < expectedLines.size(); line++) {
            String[] got = actualLines.get(line).split(",", -1);
            String[] want = expectedLines.get(line).split(",", -1);
            assertThat(got).as("cells of line " + line + ": " + actualLines.get(line)).hasSameSizeAs(want);
            for (int cell = 0; cell < want.length; cell++) {
                String at = "line " + line + " cell " + cell + " (" + expectedLines.get(line) + ")";
                if (want[cell].matches("-?[0-9]+") || !want[cell].matches("-?[0-9.]+(E-?[0-9]+)?")) {
                    assertThat(got[cell]).as(at).isEqualTo(want[cell]);
                }
                else {
                    double expectedValue = Double.parseDouble(want[cell]);
                    assertThat(Double.parseDouble(got[cell])).as(at)
                            .isCloseTo(expectedValue, within(Math.max(1e-300, Math.abs(expectedValue) * 1e-12)));
                }
            }
        }
    }
}
