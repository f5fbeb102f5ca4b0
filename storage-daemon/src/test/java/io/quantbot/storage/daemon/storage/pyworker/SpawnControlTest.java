package io.quantbot.storage.daemon.storage.pyworker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Backoff and the spawn-storm window over explicit ticker readings: no process, no wall clock. */
class SpawnControlTest {
    private static final long T0 = 5_000_000_000L;

    @Test
    void backoffDoublesPerFailureUpToThirtySecondsAndStartsOverAtReady() {
        SpawnControl control = new SpawnControl(10);
        assertThat(control.backoff()).isEqualTo(Duration.ZERO);
        Duration[] expected = {ms(100), ms(200), ms(400), ms(800), ms(1_600), ms(3_200), ms(6_400), ms(12_800), ms(25_600),
                Duration.ofSeconds(30), Duration.ofSeconds(30)};
        for (int i = 0; i < expected.length; i++) {
            control.failed("failure " + (i + 1), i % 2 == 0);
            assertThat(control.backoff()).as("after %d failures", i + 1).isEqualTo(expected[i]);
        }
        assertThat(control.consecutiveFailures()).isEqualTo(11);
        assertThat(control.startFailures()).isEqualTo(6);
        assertThat(control.lastFailure()).isEqualTo("failure 11");
        // Many more failures do not overflow the shift.
        for (int i = 0; i < 100; i++) {
            control.failed("again", false);
        }
        assertThat(control.backoff()).isEqualTo(Duration.ofSeconds(30));
        control.ready();
        assertThat(control.backoff()).isEqualTo(Duration.ZERO);
        assertThat(control.startFailures()).isZero();
        assertThat(control.lastFailureIfAny()).hasValue("again");
    }

    @Test
    void theLimitHoldsSpawnsBackUntilTheOldestLeavesTheMinute() {
        SpawnControl control = new SpawnControl(3);
        assertThat(control.trySpawn(T0)).isInstanceOf(SpawnControl.Spawn.class);
        assertThat(control.trySpawn(T0 + seconds(10))).isInstanceOf(SpawnControl.Spawn.class);
        assertThat(control.trySpawn(T0 + seconds(20))).isInstanceOf(SpawnControl.Spawn.class);
        assertThat(control.inStorm()).isFalse();

        SpawnControl.Decision fourth = control.trySpawn(T0 + seconds(30));
        assertThat(fourth).isEqualTo(new SpawnControl.Hold(Duration.ofSeconds(30).plusMillis(10), true));
        assertThat(control.inStorm()).isTrue();
        // Still held a moment before the window ends; only the first hold starts the storm.
        assertThat(control.trySpawn(T0 + seconds(59))).isEqualTo(new SpawnControl.Hold(Duration.ofSeconds(1).plusMillis(10), false));
        assertThat(control.spawnsInWindow()).isEqualTo(3);
        // The first spawn left the window: one more is allowed, and counted.
        assertThat(control.trySpawn(T0 + seconds(60))).isInstanceOf(SpawnControl.Spawn.class);
        assertThat(control.spawnsInWindow()).isEqualTo(3);
    }

    @Test
    void theStormEndsOnlyOnceTheRateFellToHalfTheLimit() {
        SpawnControl control = new SpawnControl(4);
        for (int i = 0; i < 4; i++) {
            control.trySpawn(T0 + seconds(i));
        }
        assertThat(control.trySpawn(T0 + seconds(4))).isInstanceOf(SpawnControl.Hold.class);
        assertThat(control.stormOver(T0 + seconds(5))).isFalse();
        // At 60.5 s the first spawn is out: 3 in the window, above half the limit.
        assertThat(control.stormOver(T0 + seconds(60) + ms(500).toNanos())).isFalse();
        assertThat(control.inStorm()).isTrue();
        // At 61.5 s two are out: 2 = half the limit, the storm is over (reported once).
        assertThat(control.stormOver(T0 + seconds(61) + ms(500).toNanos())).isTrue();
        assertThat(control.stormOver(T0 + seconds(62))).isFalse();
        assertThat(control.inStorm()).isFalse();
    }

    @Test
    void aLimitBelowOneIsRefused() {
        assertThatThrownBy(() -> new SpawnControl(0)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("at least 1");
    }

    private static long seconds(long seconds) {
        return Duration.ofSeconds(seconds).toNanos();
    }

    private static Duration ms(long millis) {
        return Duration.ofMillis(millis);
    }
}
