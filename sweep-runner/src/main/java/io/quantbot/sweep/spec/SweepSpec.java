package io.quantbot.sweep.spec;

import static java.util.Objects.requireNonNull;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Collectors;

/**
 * A validated sweep: the grid (intervals × entry lags × overlay sets) and the trading assumptions.
 * Build it with {@link SweepSpecLoader}; the constructor only guards invariants the loader already checked.
 *
 * @param sweepId the id from the file, or {@link #derivedSweepId} when the file gives none
 * @param timeFrameMillis the longest a trade is held after entry
 * @param entryRule how trades enter after call + lag ({@link EntryRule#NEXT_OPEN} unless the file says otherwise)
 */
public record SweepSpec(
        String sweepId,
        CallsSource calls,
        List<CandleInterval> intervals,
        List<Long> entryLagsMillis,
        List<OverlaySet> overlaySets,
        double takerFeeBps,
        double slippageBps,
        double notionalUsd,
        long timeFrameMillis,
        int parallelism,
        int chunkRows,
        EntryRule entryRule) {

    public static final double DEFAULT_TAKER_FEE_BPS = 30;
    public static final double DEFAULT_SLIPPAGE_BPS = 10;
    public static final double DEFAULT_NOTIONAL_USD = 1_000;
    public static final long DEFAULT_TIME_FRAME_MILLIS = 24 * 3_600_000L;
    public static final int DEFAULT_CHUNK_ROWS = 2_000;

    /** A sweep entering at the next open (the default entry rule). */
    public SweepSpec(String sweepId, CallsSource calls, List<CandleInterval> intervals, List<Long> entryLagsMillis,
            List<OverlaySet> overlaySets, double takerFeeBps, double slippageBps, double notionalUsd, long timeFrameMillis,
            int parallelism, int chunkRows) {
        this(sweepId, calls, intervals, entryLagsMillis, overlaySets, takerFeeBps, slippageBps, notionalUsd,
                timeFrameMillis, parallelism, chunkRows, EntryRule.NEXT_OPEN);
    }

    public SweepSpec {
        requireNonNull(sweepId, "sweepId is null");
        requireNonNull(entryRule, "entryRule is null");
        if (entryRule.kind() == EntryRule.Kind.LIMIT && entryRule.windowMillis() > timeFrameMillis) {
            throw new IllegalArgumentException("the limit entry window must be <= the time frame");
        }
        requireNonNull(calls, "calls is null");
        intervals = List.copyOf(requireNonNull(intervals, "intervals is null"));
        entryLagsMillis = List.copyOf(requireNonNull(entryLagsMillis, "entryLagsMillis is null"));
        overlaySets = List.copyOf(requireNonNull(overlaySets, "overlaySets is null"));
        if (intervals.isEmpty() || entryLagsMillis.isEmpty() || overlaySets.isEmpty()) {
            throw new IllegalArgumentException("a sweep needs at least one interval, lag and overlay set");
        }
        if (parallelism < 1 || chunkRows < 1 || timeFrameMillis <= 0 || notionalUsd <= 0) {
            throw new IllegalArgumentException("parallelism, chunkRows, timeFrameMillis and notionalUsd must be positive");
        }
    }

    /** {@link #canonicalText} of this spec. */
    public String canonicalText() {
        return canonicalText(calls, intervals, entryLagsMillis, overlaySets, takerFeeBps, slippageBps, notionalUsd,
                timeFrameMillis, chunkRows, entryRule);
    }

    public int scenarioCount() {
        return intervals.size() * entryLagsMillis.size() * overlaySets.size();
    }

    /**
     * The scenarios in a fixed order: intervals, then lags, then overlay sets, each in file order.
     * {@link Scenario#index()} is the position in this list.
     */
    public List<Scenario> scenarios() {
        List<Scenario> scenarios = new ArrayList<>(scenarioCount());
        for (int intervalIndex = 0; intervalIndex < intervals.size(); intervalIndex++) {
            CandleInterval interval = intervals.get(intervalIndex);
            for (int lagIndex = 0; lagIndex < entryLagsMillis.size(); lagIndex++) {
                long lag = entryLagsMillis.get(lagIndex);
                for (int setIndex = 0; setIndex < overlaySets.size(); setIndex++) {
                    OverlaySet set = overlaySets.get(setIndex);
                    scenarios.add(new Scenario(scenarios.size(), Scenario.idOf(interval, lag, set.name()), interval,
                            intervalIndex, lag, lagIndex, set, setIndex));
                }
            }
        }
        return List.copyOf(scenarios);
    }

    /**
     * The text the derived sweep id hashes: everything that changes results or their chunking.
     * Parallelism is left out on purpose: it defaults to the machine's cores, and resuming a sweep on
     * another machine must find the same id.
     */
    public static String canonicalText(CallsSource calls, List<CandleInterval> intervals, List<Long> entryLagsMillis,
            List<OverlaySet> overlaySets, double takerFeeBps, double slippageBps, double notionalUsd,
            long timeFrameMillis, int chunkRows) {
        return canonicalText(calls, intervals, entryLagsMillis, overlaySets, takerFeeBps, slippageBps, notionalUsd,
                timeFrameMillis, chunkRows, EntryRule.NEXT_OPEN);
    }

    /** As above; the entry rule is a line of its own only when it is not the default, so older ids stay the same. */
    public static String canonicalText(CallsSource calls, List<CandleInterval> intervals, List<Long> entryLagsMillis,
            List<OverlaySet> overlaySets, double takerFeeBps, double slippageBps, double notionalUsd,
            long timeFrameMillis, int chunkRows, EntryRule entryRule) {
        StringBuilder text = new StringBuilder("qbsweep1\n");
        text.append("calls=").append(calls.describe()).append('\n');
        text.append("intervals=").append(intervals.stream().map(CandleInterval::label).collect(Collectors.joining(",")))
                .append('\n');
        text.append("entry_lags=").append(entryLagsMillis.stream().map(Durations::format).collect(Collectors.joining(",")))
                .append('\n');
        text.append("overlay_sets=").append(overlaySets.stream()
                .map(set -> set.name() + ":" + set.overlays().stream().map(Overlay::label).collect(Collectors.joining("+")))
                .collect(Collectors.joining(";"))).append('\n');
        text.append("taker_bps=").append(plain(takerFeeBps)).append('\n');
        text.append("slippage_bps=").append(plain(slippageBps)).append('\n');
        text.append("notional_usd=").append(plain(notionalUsd)).append('\n');
        text.append("time_frame=").append(Durations.format(timeFrameMillis)).append('\n');
        text.append("chunk_rows=").append(chunkRows).append('\n');
        if (!entryRule.equals(EntryRule.NEXT_OPEN)) {
            text.append("entry=").append(entryRule.label()).append('\n');
        }
        return text.toString();
    }

    /** {@code sw-} + the first 12 hex digits of SHA-256 over {@link #canonicalText}. */
    public static String derivedSweepId(String canonicalText) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(canonicalText.getBytes(StandardCharsets.UTF_8));
            return "sw-" + HexFormat.of().formatHex(digest).substring(0, 12);
        }
        catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }

    private static String plain(double value) {
        return BigDecimal.valueOf(value).stripTrailingZeros().toPlainString();
    }
}
