package io.quantbot.sweep.remote;

import static org.assertj.core.api.Assertions.assertThat;

import io.quantbot.storage.v1.AnalyzeSweepResponse;
import io.quantbot.storage.v1.LeaderboardRow;
import io.quantbot.sweep.leaderboard.Leaderboard;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class LeaderboardsTest {
    @Test
    void lag_interval_keys_become_interval_and_a_readable_lag() {
        AnalyzeSweepResponse response = AnalyzeSweepResponse.newBuilder()
                .addLeaderboards(io.quantbot.storage.v1.Leaderboard.newBuilder()
                        .setName("by_lag_interval").addDimensions("lag_ms").addDimensions("interval")
                        .addRows(LeaderboardRow.newBuilder().addKeys("30000").addKeys("1m").setCount(7).setMean(0.1)
                                .setP5(-0.2).setP50(0.05).setP95(0.4).setWinRate(0.6).setSkipped(2)
                                .putSkipReasons("no_candles", 1).putSkipReasons("limit_not_filled", 1)))
                .addLeaderboards(io.quantbot.storage.v1.Leaderboard.newBuilder()
                        .setName("by_caller").addDimensions("caller")
                        .addRows(LeaderboardRow.newBuilder().addKeys("alpha").setCount(3).setMean(Double.NaN)))
                .build();
        List<Leaderboard> boards = Leaderboards.fromProto(response);

        Leaderboard lagInterval = Leaderboards.named(boards, "by_lag_interval").orElseThrow();
        assertThat(lagInterval.dimensions()).containsExactly("interval", "lag");
        assertThat(lagInterval.rows().get(0).keys()).containsExactly("1m", "30s");
        assertThat(lagInterval.rows().get(0).count()).isEqualTo(7);
        assertThat(lagInterval.rows().get(0).p95()).isEqualTo(0.4);
        assertThat(lagInterval.rows().get(0).skipped()).isEqualTo(2);
        assertThat(lagInterval.rows().get(0).skipReasons()).containsExactly(Map.entry("limit_not_filled", 1L),
                Map.entry("no_candles", 1L));
        Leaderboard callers = Leaderboards.named(boards, "by_caller").orElseThrow();
        assertThat(callers.dimensions()).containsExactly("caller");
        assertThat(callers.rows().get(0).mean()).isNaN();
        assertThat(Leaderboards.named(boards, "by_overlay")).isEmpty();
    }
}
