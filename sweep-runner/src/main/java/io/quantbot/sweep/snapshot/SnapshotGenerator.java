package io.quantbot.sweep.snapshot;

import static java.util.Objects.requireNonNull;

import io.quantbot.sweep.simulation.CandleResampler;
import io.quantbot.sweep.simulation.CandleSeries;
import io.quantbot.sweep.spec.CandleInterval;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes a deterministic synthetic snapshot: 1-minute candles with pump-and-dump dynamics for a set of
 * tokens, and calls from callers of different skill.
 *
 * <p>Layout (the columns of docs/artifacts.md, read by the Python importer and by {@link SnapshotReader}):
 * <pre>
 *   OUT/candles/&lt;chain&gt;_&lt;token&gt;.csv   token,chain,interval,ts,open,high,low,close,volume (by interval, then ts)
 *   OUT/calls/calls.csv                 call_id,caller,token,chain,ts,price (by ts, then call_id)
 * </pre>
 *
 * <p>Prices: a per-minute random walk of the log price with regimes: quiet drift; pumps of +50 … +400 %
 * over 10 minutes to 6 hours; dumps that give back 30 … 90 % afterwards; rare rugs; occasional price
 * gaps between candles (the open differs from the previous close) and missing minutes on illiquid
 * tokens. Some tokens list late or stop trading early, so some calls have no data after them.
 *
 * <p>Calls: good callers mostly call 1–45 minutes before a pump starts, bad ones buy near the top or at
 * random times; a few calls name tokens the snapshot has no candles for.
 *
 * <p>Determinism: every token has its own random stream derived from the seed, so the files do not
 * depend on thread scheduling; StrictMath keeps the arithmetic identical across CPUs.
 */
public final class SnapshotGenerator {
    private static final Logger log = LoggerFactory.getLogger(SnapshotGenerator.class);
    private static final long MINUTE = 60_000L;
    private static final String CANDLE_HEADER = "token,chain,interval,ts,open,high,low,close,volume\n";
    private static final String CALLS_HEADER = "call_id,caller,token,chain,ts,price\n";
    private static final String[] EVM_CHAINS = {"ethereum", "base", "bsc"};
    /** In skill order (sharp, average, late): the names only make the demo's leaderboards easier to read. */
    private static final String[] CALLER_NAMES = {"alpha_hunter", "insider_ian", "early_bird", "whale_watcher",
        "sol_sniper", "pump_prophet", "chart_wizard", "gem_finder", "degen_dave", "moonshot_mia", "trend_tom",
        "volume_vic", "ape_anna", "late_larry", "fomo_fiona", "bag_holder_bob", "exit_liquidity", "rekt_rick",
        "dip_diana", "noise_nora"};

    private final SnapshotOptions options;
    private final int threads;

    public SnapshotGenerator(SnapshotOptions options) {
        this(options, Runtime.getRuntime().availableProcessors());
    }

    public SnapshotGenerator(SnapshotOptions options, int threads) {
        this.options = requireNonNull(options, "options is null");
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be >= 1");
        }
        this.threads = threads;
    }

    /** Writes the snapshot under {@code folder}; {@code candles/} and {@code calls/} must not exist yet. */
    public SnapshotSummary generate(Path folder) throws IOException, InterruptedException {
        requireNonNull(folder, "folder is null");
        long start = System.nanoTime();
        Path candlesFolder = folder.resolve("candles");
        Path callsFolder = folder.resolve("calls");
        if (Files.exists(candlesFolder) || Files.exists(callsFolder)) {
            throw new IOException(folder + " already holds a snapshot (candles/ or calls/); choose an empty folder");
        }
        Files.createDirectories(candlesFolder);
        Files.createDirectories(callsFolder);

        SplittableRandom master = new SplittableRandom(options.seed());
        List<TokenPlan> plans = planTokens(master);
        List<TokenData> tokens = generateAndWrite(plans, candlesFolder);
        List<Caller> callers = planCallers(master);
        List<GeneratedCall> calls = planCalls(master, tokens, callers);
        writeCalls(callsFolder.resolve("calls.csv"), calls);

        long oneMinute = 0;
        long rows = 0;
        for (TokenData token : tokens) {
            oneMinute += token.series.size();
            rows += token.rowsWritten;
        }
        Duration elapsed = Duration.ofNanos(System.nanoTime() - start);
        log.info("generated {} tokens, {} one-minute candles, {} calls in {} ms", tokens.size(), oneMinute, calls.size(),
                elapsed.toMillis());
        return new SnapshotSummary(folder, tokens.size(), oneMinute, rows, calls.size(),
                callers.stream().map(Caller::name).toList(), tokens.size(), elapsed);
    }

    private record TokenPlan(int index, String address, String chain, long seed, int firstMinute, int endMinute) {}

    private static final class TokenData {
        final TokenPlan plan;
        final CandleSeries series;
        /** Pairs of (start minute, peak minute), absolute minute offsets. */
        final int[][] pumps;
        long rowsWritten;

        TokenData(TokenPlan plan, CandleSeries series, int[][] pumps) {
            this.plan = plan;
            this.series = series;
            this.pumps = pumps;
        }
    }

    private record Caller(String name, double activity, double preferPrePump, double preferTop) {}

    private record GeneratedCall(String caller, String token, String chain, long timestampMillis, double price) {}

    private List<TokenPlan> planTokens(SplittableRandom master) {
        int minutes = options.minutes();
        Set<String> seen = new HashSet<>();
        List<TokenPlan> plans = new ArrayList<>(options.tokens());
        for (int index = 0; index < options.tokens(); index++) {
            String chain;
            String address;
            do {
                if (master.nextDouble() < 0.75) {
                    chain = "solana";
                    address = TokenAddresses.solana(master, master.nextDouble() < 0.3);
                }
                else {
                    chain = EVM_CHAINS[master.nextInt(EVM_CHAINS.length)];
                    address = TokenAddresses.evm(master);
                }
            }
            while (!seen.add(address));
            // Most tokens trade all along; some list during the window, some stop (delisted, rugged, data gap).
            int firstMinute = master.nextDouble() < 0.15 ? master.nextInt(minutes / 2) : 0;
            int endMinute = master.nextDouble() < 0.10
                    ? firstMinute + (minutes - firstMinute) / 5 + master.nextInt(Math.max(1, (minutes - firstMinute) * 4 / 5))
                    : minutes;
            plans.add(new TokenPlan(index, address, chain, master.nextLong(), firstMinute, Math.min(minutes, endMinute)));
        }
        return plans;
    }

    private List<TokenData> generateAndWrite(List<TokenPlan> plans, Path candlesFolder)
            throws IOException, InterruptedException {
        ExecutorService executor = Executors.newFixedThreadPool(Math.min(threads, plans.size()), runnable -> {
            Thread thread = new Thread(runnable, "snapshot-generator");
            thread.setDaemon(true);
            return thread;
        });
        try {
            List<Future<TokenData>> futures = new ArrayList<>(plans.size());
            for (TokenPlan plan : plans) {
                futures.add(executor.submit(() -> {
                    TokenData token = generateToken(plan);
                    token.rowsWritten = writeCandles(candlesFolder.resolve(plan.chain() + "_" + plan.address() + ".csv"),
                            token);
                    return token;
                }));
            }
            List<TokenData> tokens = new ArrayList<>(plans.size());
            for (Future<TokenData> future : futures) {
                tokens.add(future.get());
            }
            return tokens;
        }
        catch (ExecutionException e) {
            if (e.getCause() instanceof UncheckedIOException io) {
                throw io.getCause();
            }
            throw new IllegalStateException("snapshot generation failed", e.getCause());
        }
        finally {
            executor.shutdownNow();
        }
    }

    /** The price path of one token; see the class comment for the model. */
    private TokenData generateToken(TokenPlan plan) {
        SplittableRandom random = new SplittableRandom(plan.seed());
        int capacity = plan.endMinute() - plan.firstMinute();
        long[] timestamps = new long[capacity];
        double[] open = new double[capacity];
        double[] high = new double[capacity];
        double[] low = new double[capacity];
        double[] close = new double[capacity];
        double[] volume = new double[capacity];
        List<int[]> pumps = new ArrayList<>();

        double price = StrictMath.pow(10, -7 + 6 * random.nextDouble());
        double quietSigma = 0.002 + 0.006 * random.nextDouble();
        double liquidity = StrictMath.pow(10, 2 + 2.5 * random.nextDouble());
        double missingChance = liquidity < 500 ? 0.05 : 0.002;
        double pumpHazard = 1.0 / (3 * 24 * 60);
        double rugHazard = 0.05 / (3 * 24 * 60);

        int regime = QUIET;
        int regimeLeft = 0;
        double drift = 0;
        double sigma = quietSigma;
        double volumeBoost = 1;
        int count = 0;
        for (int minute = plan.firstMinute(); minute < plan.endMinute(); minute++) {
            if (regimeLeft <= 0 && regime != QUIET) {
                if (regime == PUMP) {
                    // Every pump is followed by a dump that gives back part of it.
                    regime = DUMP;
                    regimeLeft = (int) Math.round(StrictMath.exp(StrictMath.log(5) + random.nextDouble() * StrictMath.log(240.0 / 5)));
                    double retrace = 0.3 + 0.6 * random.nextDouble();
                    drift = StrictMath.log(1 - retrace) / regimeLeft;
                    sigma = quietSigma * 2 + 0.005;
                    volumeBoost = 4 + 8 * random.nextDouble();
                    pumps.get(pumps.size() - 1)[1] = minute;
                }
                else {
                    regime = QUIET;
                    drift = QUIET_DRIFT;
                    sigma = quietSigma;
                    volumeBoost = 1;
                }
            }
            if (regime == QUIET) {
                double draw = random.nextDouble();
                if (draw < pumpHazard) {
                    regime = PUMP;
                    regimeLeft = (int) Math.round(StrictMath.exp(StrictMath.log(10) + random.nextDouble() * StrictMath.log(360.0 / 10)));
                    double gain = 0.5 + 3.5 * StrictMath.pow(random.nextDouble(), 2);
                    drift = StrictMath.log(1 + gain) / regimeLeft;
                    sigma = quietSigma * 2 + 0.01;
                    volumeBoost = 5 + 25 * random.nextDouble();
                    pumps.add(new int[] {minute, minute + regimeLeft});
                }
                else if (draw < pumpHazard + rugHazard) {
                    regime = DUMP;
                    regimeLeft = 1 + random.nextInt(3);
                    drift = StrictMath.log(0.05 + 0.15 * random.nextDouble()) / regimeLeft;
                    sigma = quietSigma;
                    volumeBoost = 20;
                    liquidity /= 20;
                    missingChance = 0.05;
                }
                else {
                    drift = QUIET_DRIFT;
                }
            }
            regimeLeft--;
            if (regime == QUIET && random.nextDouble() < missingChance) {
                continue; // No trade in this minute: no candle, the price waits.
            }
            double candleOpen = price;
            if (random.nextDouble() < 0.002) {
                candleOpen = price * StrictMath.exp(random.nextGaussian() * 0.06);
            }
            double candleClose = candleOpen * StrictMath.exp(drift + sigma * random.nextGaussian());
            double wickSigma = sigma * 0.7;
            double candleHigh = Math.max(candleOpen, candleClose) * StrictMath.exp(Math.abs(random.nextGaussian()) * wickSigma);
            double lowWick = Math.abs(random.nextGaussian()) * wickSigma;
            if (random.nextDouble() < 0.005) {
                lowWick += sigma * (3 + 7 * random.nextDouble()); // A stop hunt: a long lower wick.
            }
            double candleLow = Math.min(candleOpen, candleClose) * StrictMath.exp(-lowWick);
            timestamps[count] = options.startMillis() + minute * MINUTE;
            open[count] = candleOpen;
            high[count] = candleHigh;
            low[count] = candleLow;
            close[count] = candleClose;
            volume[count] = liquidity * volumeBoost * StrictMath.exp(0.6 * random.nextGaussian());
            count++;
            price = candleClose;
        }
        CandleSeries series = new CandleSeries(CandleInterval.ONE_MINUTE, timestamps, open, high, low, close, volume,
                count);
        return new TokenData(plan, series, pumps.toArray(int[][]::new));
    }

    /** Memecoins bleed between pumps: about -20 % a day, so calling at random loses money. */
    private static final double QUIET_DRIFT = -0.00015;
    private static final int QUIET = 0;
    private static final int PUMP = 1;
    private static final int DUMP = 2;

    private long writeCandles(Path file, TokenData token) {
        long rows = 0;
        try (Writer writer = new BufferedWriter(Files.newBufferedWriter(file, StandardCharsets.UTF_8), 1 << 16)) {
            writer.write(CANDLE_HEADER);
            StringBuilder line = new StringBuilder(160);
            String prefix = token.plan.address() + "," + token.plan.chain() + ",";
            for (CandleInterval interval : sortedIntervals()) {
                CandleSeries series = CandleResampler.resample(token.series, interval);
                for (int index = 0; index < series.size(); index++) {
                    line.setLength(0);
                    line.append(prefix).append(interval.label()).append(',').append(series.timestamp(index)).append(',')
                            .append(series.open(index)).append(',').append(series.high(index)).append(',')
                            .append(series.low(index)).append(',').append(series.close(index)).append(',')
                            .append(series.volume(index)).append('\n');
                    writer.append(line);
                }
                rows += series.size();
            }
        }
        catch (IOException e) {
            throw new UncheckedIOException("writing " + file, e);
        }
        return rows;
    }

    private List<CandleInterval> sortedIntervals() {
        List<CandleInterval> intervals = new ArrayList<>(new HashSet<>(options.intervals()));
        intervals.sort(Comparator.comparingLong(CandleInterval::millis));
        return intervals;
    }

    private List<Caller> planCallers(SplittableRandom master) {
        List<Caller> callers = new ArrayList<>(options.callers());
        for (int index = 0; index < options.callers(); index++) {
            String name = index < CALLER_NAMES.length ? CALLER_NAMES[index]
                    : CALLER_NAMES[index % CALLER_NAMES.length] + "_" + (index / CALLER_NAMES.length + 1);
            // A quarter sharp, a third average, the rest late or random; activity is skewed like real channels.
            double position = (double) index / options.callers();
            double activity = StrictMath.exp(0.8 * master.nextGaussian());
            Caller caller;
            if (position < 0.25) {
                caller = new Caller(name, activity, 0.55 + 0.25 * master.nextDouble(), 0.05);
            }
            else if (position < 0.6) {
                caller = new Caller(name, activity, 0.2 + 0.15 * master.nextDouble(), 0.15);
            }
            else {
                caller = new Caller(name, activity, 0.02 + 0.06 * master.nextDouble(), 0.45 + 0.15 * master.nextDouble());
            }
            callers.add(caller);
        }
        return callers;
    }

    private List<GeneratedCall> planCalls(SplittableRandom master, List<TokenData> tokens, List<Caller> callers) {
        List<int[]> pumpRefs = new ArrayList<>();
        for (int token = 0; token < tokens.size(); token++) {
            for (int pump = 0; pump < tokens.get(token).pumps.length; pump++) {
                pumpRefs.add(new int[] {token, pump});
            }
        }
        double[] cumulativeActivity = new double[callers.size()];
        double sum = 0;
        for (int index = 0; index < callers.size(); index++) {
            sum += callers.get(index).activity();
            cumulativeActivity[index] = sum;
        }
        List<GeneratedCall> calls = new ArrayList<>(options.calls());
        for (int index = 0; index < options.calls(); index++) {
            double pick = master.nextDouble() * sum;
            int callerIndex = 0;
            while (callerIndex < callers.size() - 1 && cumulativeActivity[callerIndex] < pick) {
                callerIndex++;
            }
            Caller caller = callers.get(callerIndex);
            double mode = master.nextDouble();
            if (master.nextDouble() < 0.01) {
                calls.add(unknownTokenCall(master, caller));
                continue;
            }
            TokenData token;
            int minute;
            if (mode < caller.preferPrePump() && !pumpRefs.isEmpty()) {
                int[] ref = pumpRefs.get(master.nextInt(pumpRefs.size()));
                token = tokens.get(ref[0]);
                minute = token.pumps[ref[1]][0] - 1 - master.nextInt(45);
            }
            else if (mode < caller.preferPrePump() + caller.preferTop() && !pumpRefs.isEmpty()) {
                int[] ref = pumpRefs.get(master.nextInt(pumpRefs.size()));
                token = tokens.get(ref[0]);
                minute = token.pumps[ref[1]][1] - 15 + master.nextInt(36);
            }
            else {
                token = tokens.get(master.nextInt(tokens.size()));
                minute = token.plan.firstMinute() + master.nextInt(Math.max(1, token.plan.endMinute() - token.plan.firstMinute()));
            }
            minute = Math.max(token.plan.firstMinute(), Math.min(minute, options.minutes() - 1));
            long timestamp = options.startMillis() + minute * MINUTE + master.nextInt(60) * 1_000L;
            calls.add(new GeneratedCall(caller.name(), token.plan.address(), token.plan.chain(), timestamp,
                    priceAt(token.series, timestamp)));
        }
        calls.sort(Comparator.comparingLong(GeneratedCall::timestampMillis).thenComparing(GeneratedCall::caller)
                .thenComparing(GeneratedCall::token));
        return calls;
    }

    /** A token posted before (or without) any market data: the sweep must report it, not crash. */
    private GeneratedCall unknownTokenCall(SplittableRandom master, Caller caller) {
        String address = TokenAddresses.solana(master, true);
        long timestamp = options.startMillis() + master.nextInt(options.minutes()) * MINUTE;
        return new GeneratedCall(caller.name(), address, "solana", timestamp, StrictMath.pow(10, -6 + 3 * master.nextDouble()));
    }

    /** The last traded price at a time: the open of the candle containing it, else the previous close. */
    private static double priceAt(CandleSeries series, long timestamp) {
        int containing = series.firstIndexAtOrAfter(timestamp + 1) - 1;
        if (containing < 0) {
            return series.isEmpty() ? Double.NaN : series.open(0);
        }
        return series.timestamp(containing) + MINUTE > timestamp ? series.open(containing) : series.close(containing);
    }

    private void writeCalls(Path file, List<GeneratedCall> calls) throws IOException {
        int width = Math.max(6, Integer.toString(calls.size()).length());
        try (Writer writer = new BufferedWriter(Files.newBufferedWriter(file, StandardCharsets.UTF_8), 1 << 16)) {
            writer.write(CALLS_HEADER);
            int number = 1;
            for (GeneratedCall call : calls) {
                String callId = String.format(Locale.ROOT, "call-%0" + width + "d", number++);
                writer.write(callId + "," + call.caller() + "," + call.token() + "," + call.chain() + ","
                        + call.timestampMillis() + "," + (Double.isNaN(call.price()) ? "" : Double.toString(call.price()))
                        + "\n");
            }
        }
    }
}
