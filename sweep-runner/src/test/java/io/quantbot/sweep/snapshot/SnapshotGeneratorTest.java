package io.quantbot.sweep.snapshot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.quantbot.sweep.simulation.Call;
import io.quantbot.sweep.simulation.CandleSeries;
import io.quantbot.sweep.spec.CandleInterval;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SnapshotGeneratorTest {
    private static final SnapshotOptions SMALL = new SnapshotOptions(24, 2, 300, 8, 7,
            SnapshotOptions.DEFAULT_START_MILLIS, List.of(CandleInterval.ONE_MINUTE, CandleInterval.FIVE_MINUTES));

    @TempDir
    Path temporary;

    private Path generate(String name, SnapshotOptions options, int threads) throws Exception {
        Path folder = temporary.resolve(name);
        new SnapshotGenerator(options, threads).generate(folder);
        return folder;
    }

    private static Map<String, byte[]> contents(Path folder) throws IOException {
        Map<String, byte[]> files = new HashMap<>();
        try (Stream<Path> paths = Files.walk(folder)) {
            for (Path path : paths.filter(Files::isRegularFile).toList()) {
                files.put(folder.relativize(path).toString(), Files.readAllBytes(path));
            }
        }
        return files;
    }

    @Test
    void the_same_seed_gives_identical_files_whatever_the_thread_count() throws Exception {
        Map<String, byte[]> first = contents(generate("a", SMALL, 1));
        Map<String, byte[]> second = contents(generate("b", SMALL, 3));

        assertThat(second.keySet()).isEqualTo(first.keySet());
        for (String file : first.keySet()) {
            assertThat(second.get(file)).as(file).isEqualTo(first.get(file));
        }
    }

    @Test
    void a_different_seed_gives_different_files() throws Exception {
        SnapshotOptions otherSeed = new SnapshotOptions(SMALL.tokens(), SMALL.days(), SMALL.calls(), SMALL.callers(), 8,
                SMALL.startMillis(), SMALL.intervals());
        Map<String, byte[]> first = contents(generate("a", SMALL, 2));
        Map<String, byte[]> second = contents(generate("b", otherSeed, 2));

        assertThat(second.keySet()).isNotEqualTo(first.keySet());
        assertThat(second.get("calls/calls.csv")).isNotEqualTo(first.get("calls/calls.csv"));
    }

    @Test
    void layout_columns_and_candle_validity() throws Exception {
        Path folder = generate("snapshot", SMALL, 2);

        List<Path> candleFiles;
        try (Stream<Path> files = Files.list(folder.resolve("candles"))) {
            candleFiles = files.sorted().toList();
        }
        assertThat(candleFiles).hasSize(24);
        long oneMinuteCandles = 0;
        Set<String> chains = new HashSet<>();
        for (Path file : candleFiles) {
            List<String> lines = Files.readAllLines(file);
            assertThat(lines.get(0)).isEqualTo("token,chain,interval,ts,open,high,low,close,volume");
            String[] first = lines.get(1).split(",");
            String token = first[0];
            String chain = first[1];
            chains.add(chain);
            assertThat(file.getFileName().toString()).isEqualTo(chain + "_" + token + ".csv");
            if (chain.equals("solana")) {
                assertThat(token).hasSizeBetween(32, 44);
                assertThat(TokenAddresses.isBase58(token)).as(token).isTrue();
            }
            else {
                assertThat(chain).isIn("ethereum", "base", "bsc");
                assertThat(token).matches("0x[0-9a-f]{40}");
            }
            Map<String, Long> lastTimestamp = new HashMap<>();
            for (String line : lines.subList(1, lines.size())) {
                String[] fields = line.split(",");
                assertThat(fields).hasSize(9);
                assertThat(fields[0]).isEqualTo(token);
                assertThat(fields[1]).isEqualTo(chain);
                long timestamp = Long.parseLong(fields[3]);
                double open = Double.parseDouble(fields[4]);
                double high = Double.parseDouble(fields[5]);
                double low = Double.parseDouble(fields[6]);
                double close = Double.parseDouble(fields[7]);
                double volume = Double.parseDouble(fields[8]);
                assertThat(high).as(line).isGreaterThanOrEqualTo(Math.max(open, close));
                assertThat(low).as(line).isLessThanOrEqualTo(Math.min(open, close)).isPositive();
                assertThat(volume).as(line).isGreaterThanOrEqualTo(0);
                Long previous = lastTimestamp.put(fields[2], timestamp);
                assertThat(previous == null || previous < timestamp).as("ascending, no duplicate ts: " + line).isTrue();
                long intervalMillis = CandleInterval.fromLabel(fields[2]).orElseThrow().millis();
                assertThat(timestamp % intervalMillis).isZero();
                if (fields[2].equals("1m")) {
                    oneMinuteCandles++;
                }
            }
            assertThat(lastTimestamp.keySet()).containsExactlyInAnyOrder("1m", "5m");
        }
        // 24 tokens × 2 days × 1,440 minutes at most; late listings, early ends and quiet minutes remove some.
        assertThat(oneMinuteCandles).isBetween(24L * 2 * 1_440 / 2, 24L * 2 * 1_440);
        assertThat(chains).contains("solana");

        List<String> callLines = Files.readAllLines(folder.resolve("calls/calls.csv"));
        assertThat(callLines.get(0)).isEqualTo("call_id,caller,token,chain,ts,price");
        assertThat(callLines).hasSize(301);
    }

    @Test
    void calls_come_from_the_callers_and_mostly_name_generated_tokens() throws Exception {
        Path folder = generate("snapshot", SMALL, 2);
        Snapshot snapshot = new SnapshotReader(2).read(folder);
        List<Call> calls = snapshot.calls();

        assertThat(calls).hasSize(300);
        assertThat(calls.stream().map(Call::callId).distinct().count()).isEqualTo(300);
        assertThat(calls.stream().map(Call::caller).distinct().count()).isBetween(6L, 8L);
        List<Long> timestamps = calls.stream().map(Call::timestampMillis).toList();
        assertThat(timestamps).isSorted();
        long withCandles = calls.stream()
                .filter(call -> snapshot.series(call.chain(), call.token(), CandleInterval.ONE_MINUTE).isPresent())
                .count();
        assertThat(withCandles).isBetween(290L, 300L);
        for (Call call : calls) {
            assertThat(call.price()).as(call.toString()).isPositive();
            assertThat(call.timestampMillis()).isBetween(SMALL.startMillis(), SMALL.startMillis() + 2 * 86_400_000L);
        }
    }

    @Test
    void pumps_happen() throws Exception {
        Snapshot snapshot = new SnapshotReader(2).read(generate("snapshot", SMALL, 2));
        int pumpedTokens = 0;
        Set<String> tokens = new HashSet<>();
        snapshot.calls().forEach(call -> tokens.add(call.chain() + "/" + call.token()));
        for (String key : tokens) {
            String[] parts = key.split("/");
            CandleSeries series = snapshot.series(parts[0], parts[1], CandleInterval.FIVE_MINUTES).orElse(null);
            if (series == null) {
                continue;
            }
            // A pump: some 6-hour window in which the high reaches 1.5 × an earlier low.
            for (int start = 0; start < series.size(); start++) {
                double low = series.low(start);
                boolean pumped = false;
                for (int index = start; index < Math.min(series.size(), start + 72); index++) {
                    if (series.high(index) >= low * 1.5) {
                        pumped = true;
                        break;
                    }
                }
                if (pumped) {
                    pumpedTokens++;
                    break;
                }
            }
        }
        assertThat(pumpedTokens).isGreaterThanOrEqualTo(5);
    }

    @Test
    void refuses_to_write_over_an_existing_snapshot() throws Exception {
        Path folder = generate("snapshot", SMALL, 2);
        assertThatThrownBy(() -> new SnapshotGenerator(SMALL, 2).generate(folder))
                .isInstanceOf(IOException.class).hasMessageContaining("already holds a snapshot");
    }

    @Test
    void base58_encodes_like_bitcoin() {
        assertThat(TokenAddresses.base58(new byte[] {0, 0, 1})).isEqualTo("112");
        assertThat(TokenAddresses.base58("hello world".getBytes(StandardCharsets.US_ASCII)))
                .isEqualTo("StV1DL6CwTryKyV");
        List<String> addresses = new ArrayList<>();
        SplittableRandom random = new SplittableRandom(1);
        for (int index = 0; index < 200; index++) {
            addresses.add(TokenAddresses.solana(random, index % 3 == 0));
        }
        assertThat(addresses).allSatisfy(address -> assertThat(address).hasSizeBetween(32, 44));
        assertThat(addresses.stream().filter(address -> address.endsWith("pump"))).isNotEmpty();
    }
}
