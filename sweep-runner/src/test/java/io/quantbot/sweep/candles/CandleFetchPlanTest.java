package io.quantbot.sweep.candles;

import static org.assertj.core.api.Assertions.assertThat;

import io.quantbot.sweep.simulation.CandleSeries;
import io.quantbot.sweep.spec.CandleInterval;
import java.util.List;
import org.junit.jupiter.api.Test;

class CandleFetchPlanTest {
    private static final long MINUTE = 60_000L;

    private static CandleRequest request(String token, long fromMinute, long toMinute) {
        return new CandleRequest(token, "solana", CandleInterval.ONE_MINUTE, fromMinute * MINUTE, toMinute * MINUTE);
    }

    @Test
    void overlapping_and_touching_ranges_of_one_token_merge_others_stay_apart() {
        List<CandleRequest> requests = List.of(
                request("A", 100, 200),
                request("B", 0, 50),
                request("A", 0, 120),      // overlaps the first
                request("A", 200, 260),    // touches the merged [0, 200)
                request("A", 300, 400),    // a gap: its own read
                new CandleRequest("A", "base", CandleInterval.ONE_MINUTE, 0, 10 * MINUTE),   // other chain
                new CandleRequest("A", "solana", CandleInterval.FIVE_MINUTES, 0, 100 * MINUTE)); // other interval
        List<CandleFetchPlan.Group> groups = CandleFetchPlan.plan(requests);

        assertThat(groups).hasSize(5);
        CandleFetchPlan.Group merged = groups.stream()
                .filter(group -> group.request().equals(request("A", 0, 260))).findFirst().orElseThrow();
        assertThat(merged.members()).containsExactly(2, 0, 3);
        assertThat(groups.stream().mapToInt(group -> group.members().length).sum()).isEqualTo(requests.size());
        assertThat(groups).extracting(CandleFetchPlan.Group::request).contains(request("A", 300, 400), request("B", 0, 50));
    }

    @Test
    void merging_stops_at_the_candle_limit() {
        List<CandleRequest> requests = List.of(request("A", 0, 60), request("A", 50, 110), request("A", 100, 160));
        List<CandleFetchPlan.Group> groups = CandleFetchPlan.plan(requests, 120);
        assertThat(groups).extracting(CandleFetchPlan.Group::request)
                .containsExactly(request("A", 0, 110), request("A", 100, 160));
    }

    @Test
    void a_slice_holds_exactly_the_candles_opening_in_the_range() {
        int size = 10;
        long[] timestamps = new long[size];
        double[] values = new double[size];
        for (int index = 0; index < size; index++) {
            timestamps[index] = index * MINUTE;
            values[index] = index + 1;
        }
        CandleSeries series = new CandleSeries(CandleInterval.ONE_MINUTE, timestamps, values, values, values, values, values, size);

        CandleSeries slice = CandleFetchPlan.slice(series, 3 * MINUTE - 1, 6 * MINUTE);
        assertThat(slice.size()).isEqualTo(3);
        assertThat(slice.timestamp(0)).isEqualTo(3 * MINUTE);
        assertThat(slice.close(2)).isEqualTo(6);
        assertThat(CandleFetchPlan.slice(series, 20 * MINUTE, 30 * MINUTE).isEmpty()).isTrue();
        assertThat(CandleFetchPlan.slice(CandleSeries.empty(CandleInterval.ONE_MINUTE), 0, MINUTE).isEmpty()).isTrue();
    }
}
