package io.quantbot.sweep.results;

import static java.util.Objects.requireNonNull;

import io.quantbot.sweep.simulation.BacktestOutcome;
import io.quantbot.sweep.simulation.Call;
import io.quantbot.sweep.simulation.ExitReason;
import io.quantbot.sweep.simulation.SkipReason;
import io.quantbot.sweep.spec.Scenario;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The rows of one scenario (one run): one slot per call of {@link SweepCalls}, filled by
 * {@link #record} in any order and from several threads as long as each slot is written by one thread
 * and the table is read after those threads were joined (an executor's {@code Future.get} or
 * {@code invokeAll} gives that happens-before edge).
 *
 * <p>Rows are kept as primitive arrays, about 100 bytes per row.
 */
public final class ScenarioResults {
    private static final ExitReason[] EXIT_REASONS = ExitReason.values();
    private static final SkipReason[] SKIP_REASONS = SkipReason.values();
    private static final byte NONE = -1;

    private final String sweepId;
    private final Scenario scenario;
    private final SweepCalls calls;
    private final double notionalUsd;
    private final boolean[] recorded;
    private final boolean[] tradeable;
    private final byte[] skipReason;
    private final long[] entryTimestamp;
    private final double[] entryPrice;
    private final long[] exitTimestamp;
    private final double[] exitPrice;
    private final byte[] exitReason;
    private final double[] grossReturn;
    private final double[] netReturn;
    private final double[] fees;
    private final double[] slippage;
    private final int[] candlesUsed;

    public ScenarioResults(String sweepId, Scenario scenario, SweepCalls calls, double notionalUsd) {
        this.sweepId = requireNonNull(sweepId, "sweepId is null");
        this.scenario = requireNonNull(scenario, "scenario is null");
        this.calls = requireNonNull(calls, "calls is null");
        this.notionalUsd = notionalUsd;
        int size = calls.size();
        this.recorded = new boolean[size];
        this.tradeable = new boolean[size];
        this.skipReason = new byte[size];
        this.entryTimestamp = new long[size];
        this.entryPrice = new double[size];
        this.exitTimestamp = new long[size];
        this.exitPrice = new double[size];
        this.exitReason = new byte[size];
        this.grossReturn = new double[size];
        this.netReturn = new double[size];
        this.fees = new double[size];
        this.slippage = new double[size];
        this.candlesUsed = new int[size];
    }

    public Scenario scenario() {
        return scenario;
    }

    public String sweepId() {
        return sweepId;
    }

    public SweepCalls calls() {
        return calls;
    }

    public int size() {
        return calls.size();
    }

    /** Copies the outcome of the call in {@code slot}. */
    public void record(int slot, BacktestOutcome outcome) {
        recorded[slot] = true;
        tradeable[slot] = outcome.tradeable();
        if (outcome.tradeable()) {
            skipReason[slot] = NONE;
            entryTimestamp[slot] = outcome.entryTimestamp();
            entryPrice[slot] = outcome.entryPrice();
            exitTimestamp[slot] = outcome.exitTimestamp();
            exitPrice[slot] = outcome.exitPrice();
            exitReason[slot] = (byte) outcome.exitReason().ordinal();
            grossReturn[slot] = outcome.grossReturn();
            netReturn[slot] = outcome.netReturn();
            fees[slot] = outcome.fees();
            slippage[slot] = outcome.slippage();
            candlesUsed[slot] = outcome.candlesUsed();
        }
        else {
            skipReason[slot] = (byte) outcome.skipReason().ordinal();
            exitReason[slot] = NONE;
            candlesUsed[slot] = 0;
        }
    }

    public boolean isComplete() {
        for (boolean done : recorded) {
            if (!done) {
                return false;
            }
        }
        return true;
    }

    public boolean isTradeable(int slot) {
        return tradeable[slot];
    }

    /** Skip reason of an untradeable slot. */
    public SkipReason skipReason(int slot) {
        if (tradeable[slot] || !recorded[slot]) {
            throw new IllegalStateException("slot " + slot + " is not a recorded skip");
        }
        return SKIP_REASONS[skipReason[slot]];
    }

    /** Net return of a tradeable slot. */
    public double netReturn(int slot) {
        return netReturn[slot];
    }

    /** Number of chunks {@link #chunks} yields. */
    public int chunkCount(int chunkRows) {
        return (size() + chunkRows - 1) / chunkRows;
    }

    /** All rows as chunks of at most {@code chunkRows}, ordered by call id; identical on every call. */
    public List<ResultBatch> chunks(int chunkRows) {
        List<ResultBatch> chunks = new ArrayList<>();
        for (int sequence = 0; sequence < chunkCount(chunkRows); sequence++) {
            chunks.add(chunk(sequence, chunkRows));
        }
        return chunks;
    }

    /** Chunk {@code sequence}: rows [sequence × chunkRows, …) in call id order. */
    public ResultBatch chunk(int sequence, int chunkRows) {
        if (chunkRows < 1) {
            throw new IllegalArgumentException("chunkRows must be >= 1");
        }
        if (!isComplete()) {
            throw new IllegalStateException("scenario " + scenario.id() + " has calls without a result");
        }
        int from = sequence * chunkRows;
        int to = Math.min(size(), from + chunkRows);
        if (from >= to && !(sequence == 0 && size() == 0)) {
            throw new IndexOutOfBoundsException("chunk " + sequence + " of " + chunkCount(chunkRows));
        }
        int rows = to - from;
        List<ResultColumn> columns = new ArrayList<>(RunResultColumns.COLUMNS.size());
        columns.add(constant("sweep_id", sweepId, rows));
        columns.add(constant("scenario_id", scenario.id(), rows));
        columns.add(constant("interval", scenario.interval().label(), rows));
        columns.add(new ResultColumn.LongColumn("lag_ms", filled(rows, scenario.lagMillis()), new byte[0]));
        columns.add(constant("overlay_set", scenario.overlaySet().name(), rows));

        DictionaryBuilder callIds = new DictionaryBuilder(rows);
        DictionaryBuilder callers = new DictionaryBuilder(rows);
        DictionaryBuilder tokens = new DictionaryBuilder(rows);
        DictionaryBuilder chains = new DictionaryBuilder(rows);
        DictionaryBuilder exitReasons = new DictionaryBuilder(rows);
        DictionaryBuilder skipReasons = new DictionaryBuilder(rows);
        long[] callTimestamps = new long[rows];
        long[] entryTimestamps = new long[rows];
        double[] entryPrices = new double[rows];
        long[] exitTimestamps = new long[rows];
        double[] exitPrices = new double[rows];
        double[] grossReturns = new double[rows];
        double[] netReturns = new double[rows];
        double[] feeValues = new double[rows];
        double[] slippageValues = new double[rows];
        long[] candles = new long[rows];
        boolean[] tradeableValues = new boolean[rows];
        byte[] untradeable = new byte[(rows + 7) / 8];
        boolean anyUntradeable = false;

        for (int row = 0; row < rows; row++) {
            int slot = from + row;
            Call call = calls.get(slot);
            callIds.add(row, call.callId());
            callers.add(row, call.caller());
            tokens.add(row, call.token());
            chains.add(row, call.chain());
            callTimestamps[row] = call.timestampMillis();
            tradeableValues[row] = tradeable[slot];
            candles[row] = candlesUsed[slot];
            if (tradeable[slot]) {
                entryTimestamps[row] = entryTimestamp[slot];
                entryPrices[row] = entryPrice[slot];
                exitTimestamps[row] = exitTimestamp[slot];
                exitPrices[row] = exitPrice[slot];
                exitReasons.add(row, EXIT_REASONS[exitReason[slot]].label());
                grossReturns[row] = grossReturn[slot];
                netReturns[row] = netReturn[slot];
                feeValues[row] = fees[slot];
                slippageValues[row] = slippage[slot];
                skipReasons.addNull(row);
            }
            else {
                anyUntradeable = true;
                untradeable[row >>> 3] |= (byte) (1 << (row & 7));
                exitReasons.addNull(row);
                skipReasons.add(row, SKIP_REASONS[skipReason[slot]].label());
            }
        }
        // Trade columns are NULL exactly on untradeable rows; an all-tradeable chunk has no bitmap.
        byte[] tradeNulls = anyUntradeable ? untradeable : new byte[0];
        columns.add(callIds.build("call_id"));
        columns.add(callers.build("caller"));
        columns.add(tokens.build("token"));
        columns.add(chains.build("chain"));
        columns.add(new ResultColumn.LongColumn("call_ts", callTimestamps, new byte[0]));
        columns.add(new ResultColumn.LongColumn("entry_ts", entryTimestamps, tradeNulls));
        columns.add(new ResultColumn.DoubleColumn("entry_px", entryPrices, tradeNulls.clone()));
        columns.add(new ResultColumn.LongColumn("exit_ts", exitTimestamps, tradeNulls.clone()));
        columns.add(new ResultColumn.DoubleColumn("exit_px", exitPrices, tradeNulls.clone()));
        columns.add(exitReasons.build("exit_reason"));
        columns.add(new ResultColumn.DoubleColumn("gross_return", grossReturns, tradeNulls.clone()));
        columns.add(new ResultColumn.DoubleColumn("net_return", netReturns, tradeNulls.clone()));
        columns.add(new ResultColumn.DoubleColumn("fees", feeValues, tradeNulls.clone()));
        columns.add(new ResultColumn.DoubleColumn("slippage", slippageValues, tradeNulls.clone()));
        columns.add(new ResultColumn.LongColumn("candles_used", candles, new byte[0]));
        columns.add(new ResultColumn.BooleanColumn("tradeable", tradeableValues));
        columns.add(skipReasons.build("skip_reason"));
        return new ResultBatch(scenario.id(), sequence, rows, columns);
    }

    /** Summary metrics over all rows; requires {@link #isComplete()}. */
    public ScenarioSummary summary() {
        if (!isComplete()) {
            throw new IllegalStateException("scenario " + scenario.id() + " has calls without a result");
        }
        double[] returns = new double[size()];
        int count = 0;
        double pnl = 0;
        for (int slot = 0; slot < size(); slot++) {
            if (tradeable[slot]) {
                returns[count++] = netReturn[slot];
                pnl += netReturn[slot] * notionalUsd;
            }
        }
        ReturnStatistics statistics = ReturnStatistics.ofUnsorted(returns, count);
        return new ScenarioSummary(scenario.id(), size(), count, statistics.mean(), statistics.p50(),
                statistics.winRate(), statistics.p5(), statistics.p95(), pnl);
    }

    private static ResultColumn constant(String name, String value, int rows) {
        return new ResultColumn.DictionaryStringColumn(name, rows == 0 ? List.of() : List.of(value), new int[rows],
                new byte[0]);
    }

    private static long[] filled(int rows, long value) {
        long[] values = new long[rows];
        Arrays.fill(values, value);
        return values;
    }

    /** Dictionary in first-seen order, so the same rows always give the same dictionary. */
    private static final class DictionaryBuilder {
        private final Map<String, Integer> indexByValue = new HashMap<>();
        private final List<String> dictionary = new ArrayList<>();
        private final int[] indices;
        private final byte[] nulls;
        private boolean anyNull;

        DictionaryBuilder(int rows) {
            this.indices = new int[rows];
            this.nulls = new byte[(rows + 7) / 8];
        }

        void add(int row, String value) {
            Integer index = indexByValue.get(value);
            if (index == null) {
                index = dictionary.size();
                indexByValue.put(value, index);
                dictionary.add(value);
            }
            indices[row] = index;
        }

        void addNull(int row) {
            anyNull = true;
            nulls[row >>> 3] |= (byte) (1 << (row & 7));
            indices[row] = 0;
        }

        ResultColumn.DictionaryStringColumn build(String name) {
            if (anyNull && dictionary.isEmpty()) {
                // NULL rows point at index 0; keep that index valid for readers that look before checking the bitmap.
                dictionary.add("");
            }
            return new ResultColumn.DictionaryStringColumn(name, dictionary, indices, anyNull ? nulls : new byte[0]);
        }
    }
}
