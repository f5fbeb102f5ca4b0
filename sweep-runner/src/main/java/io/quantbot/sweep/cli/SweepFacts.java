package io.quantbot.sweep.cli;

import io.quantbot.storage.v1.GenerateReportRequest;
import io.quantbot.storage.v1.ServerInfo;
import io.quantbot.sweep.remote.RemoteSweepResult;
import io.quantbot.sweep.remote.SweepRecords;
import io.quantbot.sweep.spec.CandleInterval;
import io.quantbot.sweep.spec.Durations;
import io.quantbot.sweep.spec.SweepSpec;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * What a sweep's record and report say about it besides the results: the effective settings (after the
 * command line's overrides), versions, counts and timings. Keys ending {@code _ms} are durations and
 * {@code _at_ms} instants in epoch milliseconds; the report prints both in human units.
 */
final class SweepFacts {
    private SweepFacts() {}

    /** Facts known when the sweep starts; a mutable map the later steps add to. */
    static Map<String, String> settings(SweepSpec spec, ServerInfo daemon) {
        Map<String, String> facts = new LinkedHashMap<>();
        facts.put("status", SweepRecords.Status.RUNNING.label());
        facts.put("calls", spec.calls().describe());
        facts.put("intervals", spec.intervals().stream().map(CandleInterval::label).collect(Collectors.joining(", ")));
        facts.put("entry_lags", spec.entryLagsMillis().stream().map(Durations::format).collect(Collectors.joining(", ")));
        facts.put("overlay_sets", Integer.toString(spec.overlaySets().size()));
        facts.put("taker_fee_bps", number(spec.takerFeeBps()));
        facts.put("slippage_bps", number(spec.slippageBps()));
        facts.put("notional_usd", number(spec.notionalUsd()));
        facts.put("time_frame", Durations.format(spec.timeFrameMillis()));
        facts.put("parallelism", Integer.toString(spec.parallelism()));
        facts.put("chunk_rows", Integer.toString(spec.chunkRows()));
        facts.put("sweep_runner", new VersionProvider().getVersion()[0]);
        facts.put("daemon_at_start", daemon.getVersion() + ", " + daemon.getWorkerPoolSize() + " python workers, "
                + daemon.getWorkerSpawnCount() + " spawned so far");
        facts.put("started_at_ms", Long.toString(System.currentTimeMillis()));
        return facts;
    }

    /** Adds the sweep's counts and timings. */
    static void result(Map<String, String> facts, RemoteSweepResult result, long totalMillis) {
        facts.put("scenarios_run_now", Integer.toString(result.outcomes().size()));
        facts.put("scenarios_done_before", Integer.toString(result.skipped()));
        facts.put("scenarios_failed", Integer.toString(result.failures().size()));
        facts.put("backtests_run_now", Long.toString(result.backtests()));
        facts.put("backtests_per_second", String.format(Locale.ROOT, "%,.0f", result.backtestsPerSecond()));
        facts.put("sweep_ms", Long.toString(result.elapsed().toMillis()));
        facts.put("calls_and_sweep_ms", Long.toString(totalMillis));
        facts.put("phases_summed_over_threads", result.describePhases());
    }

    static SweepRecords.SweepRecord record(SweepSpec spec, SweepExecution.SpecSource source, SweepRecords.Status status, long startedAtMs,
            RemoteSweepResult result, Map<String, String> facts) {
        facts.put("status", status.label());
        long finishedAt = System.currentTimeMillis();
        return new SweepRecords.SweepRecord(spec.sweepId(), source.name(), source.text(), status, startedAtMs, finishedAt,
                spec.scenarioCount(), result.skipped() + (int) result.succeeded(), result.failures().size(), result.backtests(), facts);
    }

    static GenerateReportRequest reportRequest(SweepRecords.SweepRecord record) {
        String name = record.specName().isEmpty() ? "" : " (" + record.specName() + ")";
        return GenerateReportRequest.newBuilder()
                .setSweepId(record.sweepId())
                .setTitle("Sweep " + record.sweepId() + name)
                .setSpecText(record.specText())
                .putAllFacts(record.facts())
                .build();
    }

    private static String number(double value) {
        return value == Math.rint(value) && Math.abs(value) < 1e15 ? Long.toString((long) value) : Double.toString(value);
    }
}
