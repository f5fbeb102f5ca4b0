package io.quantbot.storage.daemon.candles;

import static io.quantbot.storage.daemon.testing.GrpcErrors.expectError;
import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.Status;
import io.quantbot.storage.daemon.storage.duckdb.LakeFixtures;
import io.quantbot.storage.daemon.storage.duckdb.LakeFixtures.Candle;
import io.quantbot.storage.daemon.testing.EngineUnderTest;
import io.quantbot.storage.daemon.testing.TestingStorageDaemon;
import io.quantbot.storage.v1.ArtifactPortGrpc;
import io.quantbot.storage.v1.BatchGetCandlesRequest;
import io.quantbot.storage.v1.BatchGetCandlesResponse;
import io.quantbot.storage.v1.Candles;
import io.quantbot.storage.v1.GetCandlesRequest;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * GetCandles / BatchGetCandles over a real port: ranges at the edges, resampling, merging, errors, the cache bound.
 * The contract of every storage engine: run against each one by a subclass (see EngineUnderTest).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class CandlesContract {
    /** The engine every daemon of this suite runs on (a subclass per engine). */
    protected abstract EngineUnderTest engine();

    private static final long T0 = 1_767_225_600_000L; // 2026-01-01T00:00:00Z
    private static final String SOL = "So11111111111111111111111111111111111111112";
    private static final String EVM = "0x52908400098527886E0F7030069857D2E4169EE7";

    private TestingStorageDaemon daemon;
    private ArtifactPortGrpc.ArtifactPortBlockingStub stub;
    private List<Candle> solCandles;

    @BeforeAll
    void start() throws Exception {
        daemon = engine().configure(TestingStorageDaemon.builder()).set("candles.cache-size", "64KiB").build();
        stub = ArtifactPortGrpc.newBlockingStub(daemon.loopbackChannel()).withDeadlineAfter(30, TimeUnit.SECONDS);
        solCandles = LakeFixtures.minuteCandles(T0, 1_440);
        LakeFixtures.publishCandles(daemon, "s1", SOL, "solana", "1m", solCandles);
        LakeFixtures.publishCandles(daemon, "s1", EVM, "base", "5m", List.of(
                new Candle(T0, 1, 2, 0.5, 1.5, 10), new Candle(T0 + 300_000, 1.5, 1.6, 1.4, 1.45, 20)));
    }

    @AfterAll
    void stop() {
        daemon.close();
    }

    private Candles get(String token, String chain, String interval, long from, long to) {
        return stub.getCandles(GetCandlesRequest.newBuilder().setToken(token).setChain(chain).setInterval(interval).setFromMs(from).setToMs(to).build());
    }

    @Test
    void rangeIsInclusiveAtFromAndExclusiveAtTo() {
        Candles day = get(SOL, "solana", "1m", T0, T0 + 86_400_000);
        assertThat(day.getTsMsCount()).isEqualTo(1_440);
        assertThat(day.getTsMs(0)).isEqualTo(T0);
        assertThat(day.getOpen(0)).isEqualTo(solCandles.get(0).open());
        assertThat(day.getClose(1_439)).isEqualTo(solCandles.get(1_439).close());
        assertThat(day.getSourceInterval()).isEqualTo("1m");
        assertThat(day.getSourceArtifactIdsCount()).isEqualTo(1);

        Candles edge = get(SOL, "solana", "1m", T0 + 60_000, T0 + 180_000);
        assertThat(edge.getTsMsList()).containsExactly(T0 + 60_000, T0 + 120_000);
        Candles inside = get(SOL, "solana", "1m", T0 + 60_001, T0 + 120_001);
        assertThat(inside.getTsMsList()).containsExactly(T0 + 120_000);
        assertThat(get(SOL, "solana", "1m", T0 - 3_600_000, T0).getTsMsCount()).isZero();
        assertThat(get(SOL, "solana", "1m", T0 + 86_400_000, T0 + 90_000_000).getTsMsCount()).isZero();
        assertThat(get(SOL, "solana", "1m", T0 + 86_340_000, 0).getTsMsList()).containsExactly(T0 + 86_340_000);
        assertThat(get(SOL, "solana", "1m", 0, 0).getTsMsCount()).isEqualTo(1_440);
    }

    @Test
    void coarserIntervalsAreResampledCorrectly() {
        Candles fiveMinutes = get(SOL, "solana", "5m", T0, T0 + 3_600_000);
        assertThat(fiveMinutes.getTsMsCount()).isEqualTo(12);
        assertThat(fiveMinutes.getSourceInterval()).isEqualTo("1m");
        for (int bucket = 0; bucket < 12; bucket++) {
            List<Candle> parts = solCandles.subList(bucket * 5, bucket * 5 + 5);
            assertThat(fiveMinutes.getTsMs(bucket)).isEqualTo(T0 + bucket * 300_000L);
            assertThat(fiveMinutes.getOpen(bucket)).isEqualTo(parts.get(0).open());
            assertThat(fiveMinutes.getHigh(bucket)).isEqualTo(parts.stream().mapToDouble(Candle::high).max().orElseThrow());
            assertThat(fiveMinutes.getLow(bucket)).isEqualTo(parts.stream().mapToDouble(Candle::low).min().orElseThrow());
            assertThat(fiveMinutes.getClose(bucket)).isEqualTo(parts.get(4).close());
            assertThat(fiveMinutes.getVolume(bucket)).isEqualTo(parts.stream().mapToDouble(Candle::volume).sum());
        }
        Candles hours = get(SOL, "solana", "1h", T0, T0 + 86_400_000);
        assertThat(hours.getTsMsCount()).isEqualTo(24);
        assertThat(hours.getVolume(23)).isEqualTo(solCandles.subList(1_380, 1_440).stream().mapToDouble(Candle::volume).sum());
        // A window that starts mid-bucket returns only whole buckets that start inside it.
        Candles partial = get(SOL, "solana", "5m", T0 + 120_000, T0 + 900_000);
        assertThat(partial.getTsMsList()).containsExactly(T0 + 300_000, T0 + 600_000);
        assertThat(get(SOL, "solana", "1d", T0, T0 + 86_400_000).getTsMsCount()).isEqualTo(1);
        assertThat(get(EVM, "base", "15m", T0, T0 + 900_000).getHigh(0)).isEqualTo(2);
    }

    @Test
    void clearErrorsForUnknownTokensEmptyRangesAndBadIntervals() {
        expectError(() -> get("UnknownToken111111111111111111111111111111", "solana", "1m", T0, T0 + 60_000), Status.Code.NOT_FOUND, "CANDLES_NOT_FOUND");
        // Addresses are case-sensitive: a lowercased mint is another token.
        expectError(() -> get(SOL.toLowerCase(), "solana", "1m", T0, T0 + 60_000), Status.Code.NOT_FOUND, "CANDLES_NOT_FOUND");
        expectError(() -> get(SOL, "ethereum", "1m", T0, T0 + 60_000), Status.Code.NOT_FOUND, "CANDLES_NOT_FOUND");
        expectError(() -> get(SOL, "solana", "1m", T0 + 60_000, T0 + 60_000), Status.Code.INVALID_ARGUMENT, "INVALID_TIME_RANGE");
        expectError(() -> get(SOL, "solana", "1m", T0 + 60_000, T0), Status.Code.INVALID_ARGUMENT, "INVALID_TIME_RANGE");
        expectError(() -> get(SOL, "solana", "1m", -5, T0), Status.Code.INVALID_ARGUMENT, "INVALID_TIME_RANGE");
        expectError(() -> get(SOL, "solana", "2m", T0, T0 + 60_000), Status.Code.INVALID_ARGUMENT, "INVALID_INTERVAL");
        expectError(() -> get(SOL, "solana", "15s", T0, T0 + 60_000), Status.Code.INVALID_ARGUMENT, "INVALID_INTERVAL");
        expectError(() -> get(EVM, "base", "1m", T0, T0 + 60_000), Status.Code.INVALID_ARGUMENT, "INVALID_INTERVAL");
        expectError(() -> get(SOL, "dogechain", "1m", T0, T0 + 60_000), Status.Code.INVALID_ARGUMENT, "INVALID_ARGUMENT");
        expectError(() -> get("", "solana", "1m", T0, T0 + 60_000), Status.Code.INVALID_ARGUMENT, "INVALID_ARGUMENT");
    }

    @Test
    void batchKeepsOrderAndFailsItemsAlone() {
        BatchGetCandlesResponse response = stub.batchGetCandles(BatchGetCandlesRequest.newBuilder()
                .addRequests(GetCandlesRequest.newBuilder().setToken(EVM).setChain("base").setInterval("5m").setFromMs(T0).setToMs(T0 + 600_000))
                .addRequests(GetCandlesRequest.newBuilder().setToken("Nope").setChain("solana").setInterval("1m").setFromMs(T0).setToMs(T0 + 60_000))
                .addRequests(GetCandlesRequest.newBuilder().setToken(SOL).setChain("solana").setInterval("1m").setFromMs(T0).setToMs(T0 + 120_000))
                .addRequests(GetCandlesRequest.newBuilder().setToken(SOL).setChain("solana").setInterval("1m").setFromMs(5).setToMs(5))
                .build());
        assertThat(response.getResultsCount()).isEqualTo(4);
        assertThat(response.getResults(0).getCandles().getTsMsCount()).isEqualTo(2);
        assertThat(response.getResults(1).getError().getCode()).isEqualTo(Status.Code.NOT_FOUND.value());
        assertThat(response.getResults(1).getError().getMessage()).contains("Nope");
        assertThat(response.getResults(2).getCandles().getTsMsCount()).isEqualTo(2);
        assertThat(response.getResults(3).getError().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT.value());
    }

    @Test
    void overlappingArtifactsMergeAndTheNewestWins() throws Exception {
        String token = "Merge111111111111111111111111111111111111";
        LakeFixtures.publishCandles(daemon, "old", token, "solana", "1m", List.of(
                new Candle(T0, 1, 1, 1, 1, 1), new Candle(T0 + 60_000, 2, 2, 2, 2, 2)));
        LakeFixtures.publishCandles(daemon, "new", token, "solana", "1m", List.of(
                new Candle(T0 + 60_000, 3, 3, 3, 3, 3), new Candle(T0 + 120_000, 4, 4, 4, 4, 4)));
        Candles merged = get(token, "solana", "1m", T0, T0 + 180_000);
        assertThat(merged.getTsMsList()).containsExactly(T0, T0 + 60_000, T0 + 120_000);
        assertThat(merged.getCloseList()).containsExactly(1.0, 3.0, 4.0);
        assertThat(merged.getSourceArtifactIdsCount()).isEqualTo(2);
    }

    @Test
    void theCacheStaysWithinItsBoundAndEvicts() throws Exception {
        CandleCache cache = daemon.getInstance(CandleCache.class);
        List<String> tokens = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            String token = "Cache" + i + "1111111111111111111111111111111111";
            tokens.add(token);
            LakeFixtures.publishCandles(daemon, "cache", token, "solana", "1m", LakeFixtures.minuteCandles(T0, 400));
        }
        for (String token : tokens) {
            assertThat(get(token, "solana", "1m", T0, T0 + 86_400_000).getTsMsCount()).isEqualTo(400);
            assertThat(cache.sizeBytes()).isLessThanOrEqualTo(64 * 1024);
        }
        // 6 series of ~19 KiB do not fit in 64 KiB: the oldest were evicted, the newest is still served from the cache.
        assertThat(cache.entryCount()).isLessThan(6);
        assertThat(get(tokens.get(5), "solana", "1m", T0, T0 + 60_000).getTsMsCount()).isEqualTo(1);
    }
}
