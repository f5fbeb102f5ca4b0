package io.quantbot.sweep.snapshot;

import static java.util.Objects.requireNonNull;

import io.quantbot.sweep.simulation.Call;
import io.quantbot.sweep.simulation.CandleSeries;
import io.quantbot.sweep.spec.CandleInterval;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;

/**
 * Reads a snapshot folder ({@code candles/*.csv}, {@code calls/*.csv}, the layout of
 * {@link SnapshotGenerator}) into memory, validating what the simulation relies on: required columns,
 * known intervals, OHLC consistency, ascending unique candle times. Errors name the file and line.
 */
public final class SnapshotReader {
    private static final List<String> CANDLE_COLUMNS = List.of("token", "chain", "interval", "ts", "open", "high", "low",
            "close", "volume");
    private static final List<String> CALL_COLUMNS = List.of("call_id", "caller", "token", "chain", "ts", "price");

    private final int threads;

    public SnapshotReader(int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be >= 1");
        }
        this.threads = threads;
    }

    public Snapshot read(Path folder) throws IOException, InterruptedException {
        requireNonNull(folder, "folder is null");
        List<Path> candleFiles = csvFiles(folder.resolve("candles"));
        List<Path> callFiles = csvFiles(folder.resolve("calls"));
        if (callFiles.isEmpty()) {
            throw new IOException("no calls: " + folder.resolve("calls") + " holds no .csv file");
        }
        Map<Snapshot.SeriesKey, CandleSeries> series = new HashMap<>();
        ExecutorService executor = Executors.newFixedThreadPool(threads, runnable -> {
            Thread thread = new Thread(runnable, "snapshot-reader");
            thread.setDaemon(true);
            return thread;
        });
        try {
            List<Future<Map<Snapshot.SeriesKey, CandleSeries>>> futures = new ArrayList<>();
            for (Path file : candleFiles) {
                futures.add(executor.submit(() -> readCandles(file)));
            }
            for (int index = 0; index < futures.size(); index++) {
                for (Map.Entry<Snapshot.SeriesKey, CandleSeries> entry : futures.get(index).get().entrySet()) {
                    if (series.put(entry.getKey(), entry.getValue()) != null) {
                        throw new IOException("series " + entry.getKey() + " appears in more than one file (again in "
                                + candleFiles.get(index) + ")");
                    }
                }
            }
        }
        catch (ExecutionException e) {
            if (e.getCause() instanceof UncheckedIOException io) {
                throw io.getCause();
            }
            throw new IllegalStateException("reading candles failed", e.getCause());
        }
        finally {
            executor.shutdownNow();
        }
        List<Call> calls = new ArrayList<>();
        for (Path file : callFiles) {
            calls.addAll(readCalls(file));
        }
        return new Snapshot(calls, series);
    }

    private static List<Path> csvFiles(Path folder) throws IOException {
        if (!Files.isDirectory(folder)) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(folder)) {
            return files.filter(file -> file.getFileName().toString().endsWith(".csv")).sorted().toList();
        }
    }

    /** One file may hold several series (any token, chain, interval); rows of one series must ascend by ts. */
    static Map<Snapshot.SeriesKey, CandleSeries> readCandles(Path file) {
        Map<Snapshot.SeriesKey, SeriesBuilder> builders = new LinkedHashMap<>();
        try (BufferedReader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            String header = reader.readLine();
            if (header == null) {
                return Map.of();
            }
            int[] positions = positions(file, header, CANDLE_COLUMNS);
            int fieldCount = headerFields(header).length;
            String line;
            int lineNumber = 1;
            Snapshot.SeriesKey lastKey = null;
            SeriesBuilder current = null;
            while ((line = reader.readLine()) != null) {
                lineNumber++;
                if (line.isEmpty()) {
                    continue;
                }
                String[] fields = CsvLine.split(line, fieldCount);
                if (fields.length != fieldCount) {
                    throw invalid(file, lineNumber, "expected " + fieldCount + " fields, found " + fields.length);
                }
                String token = fields[positions[0]];
                String chain = fields[positions[1]];
                String intervalLabel = fields[positions[2]];
                if (current == null || !lastKey.token().equals(token) || !lastKey.chain().equals(chain)
                        || !lastKey.interval().label().equals(intervalLabel)) {
                    Optional<CandleInterval> interval = CandleInterval.fromLabel(intervalLabel);
                    if (interval.isEmpty()) {
                        throw invalid(file, lineNumber, "unknown interval '" + intervalLabel + "'");
                    }
                    lastKey = new Snapshot.SeriesKey(chain, token, interval.get());
                    current = builders.computeIfAbsent(lastKey, key -> new SeriesBuilder());
                }
                try {
                    current.add(Long.parseLong(fields[positions[3]]), Double.parseDouble(fields[positions[4]]),
                            Double.parseDouble(fields[positions[5]]), Double.parseDouble(fields[positions[6]]),
                            Double.parseDouble(fields[positions[7]]), Double.parseDouble(fields[positions[8]]));
                }
                catch (NumberFormatException e) {
                    throw invalid(file, lineNumber, "not a number: " + e.getMessage());
                }
                catch (IllegalArgumentException e) {
                    throw invalid(file, lineNumber, e.getMessage());
                }
            }
        }
        catch (IOException e) {
            throw new UncheckedIOException("reading " + file, e);
        }
        Map<Snapshot.SeriesKey, CandleSeries> series = new LinkedHashMap<>();
        builders.forEach((key, builder) -> series.put(key, builder.build(key.interval())));
        return series;
    }

    static List<Call> readCalls(Path file) throws IOException {
        try {
            return readCallsUnchecked(file);
        }
        catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }

    private static List<Call> readCallsUnchecked(Path file) throws IOException {
        List<Call> calls = new ArrayList<>();
        try (BufferedReader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            String header = reader.readLine();
            if (header == null) {
                return calls;
            }
            int[] positions = positions(file, header, CALL_COLUMNS);
            int fieldCount = headerFields(header).length;
            String line;
            int lineNumber = 1;
            while ((line = reader.readLine()) != null) {
                lineNumber++;
                if (line.isEmpty()) {
                    continue;
                }
                String[] fields = CsvLine.split(line, fieldCount);
                if (fields.length != fieldCount) {
                    throw invalid(file, lineNumber, "expected " + fieldCount + " fields, found " + fields.length)
                            .getCause();
                }
                try {
                    String price = fields[positions[5]];
                    calls.add(new Call(fields[positions[0]], fields[positions[1]], fields[positions[2]],
                            fields[positions[3]], Long.parseLong(fields[positions[4]]),
                            price.isEmpty() ? Double.NaN : Double.parseDouble(price)));
                }
                catch (NumberFormatException e) {
                    throw invalid(file, lineNumber, "not a number: " + e.getMessage()).getCause();
                }
            }
        }
        return calls;
    }

    private static String[] headerFields(String header) {
        return CsvLine.split(header, header.split(",", -1).length);
    }

    private static int[] positions(Path file, String header, List<String> required) {
        List<String> names = Arrays.asList(headerFields(header));
        int[] positions = new int[required.size()];
        for (int index = 0; index < required.size(); index++) {
            positions[index] = names.indexOf(required.get(index));
            if (positions[index] < 0) {
                throw invalid(file, 1, "missing column " + required.get(index) + " (header: " + header + ")");
            }
        }
        return positions;
    }

    private static UncheckedIOException invalid(Path file, int line, String message) {
        return new UncheckedIOException(new IOException(file + ":" + line + ": " + message));
    }

    /** Growable packed arrays for one series. */
    private static final class SeriesBuilder {
        private long[] timestamps = new long[1024];
        private double[] open = new double[1024];
        private double[] high = new double[1024];
        private double[] low = new double[1024];
        private double[] close = new double[1024];
        private double[] volume = new double[1024];
        private int size;

        void add(long timestamp, double candleOpen, double candleHigh, double candleLow, double candleClose,
                double candleVolume) {
            if (size > 0 && timestamp <= timestamps[size - 1]) {
                throw new IllegalArgumentException("candle ts " + timestamp + " is not after the previous " + timestamps[size - 1]
                        + " of the same series (rows must ascend by ts, no duplicates)");
            }
            if (!(candleLow > 0) || candleHigh < Math.max(candleOpen, candleClose) || candleLow > Math.min(candleOpen, candleClose)
                    || !(candleVolume >= 0)) {
                throw new IllegalArgumentException("invalid candle: need high >= max(open, close), low <= min(open, close), "
                        + "prices > 0, volume >= 0");
            }
            if (size == timestamps.length) {
                int capacity = size * 2;
                timestamps = Arrays.copyOf(timestamps, capacity);
                open = Arrays.copyOf(open, capacity);
                high = Arrays.copyOf(high, capacity);
                low = Arrays.copyOf(low, capacity);
                close = Arrays.copyOf(close, capacity);
                volume = Arrays.copyOf(volume, capacity);
            }
            timestamps[size] = timestamp;
            open[size] = candleOpen;
            high[size] = candleHigh;
            low[size] = candleLow;
            close[size] = candleClose;
            volume[size] = candleVolume;
            size++;
        }

        CandleSeries build(CandleInterval interval) {
            return new CandleSeries(interval, timestamps, open, high, low, close, volume, size);
        }
    }
}
