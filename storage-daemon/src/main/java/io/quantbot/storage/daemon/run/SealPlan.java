package io.quantbot.storage.daemon.run;

import static java.util.Objects.requireNonNull;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;

/**
 * How finished runs become run_results artifacts, decided in the domain so every engine seals alike:
 * {@link #groups} says which runs of a sweep are sealed together (the succeeded ones in one artifact, every other
 * finished run alone; running and already sealed runs wait or are skipped), and {@link #of} names the artifact one
 * group becomes (logical key, tags, lineage inputs, provenance parameters). The engine writes the rows and
 * registers the artifact.
 */
public record SealPlan(String logicalKey, Map<String, String> tags, List<String> inputIds, String paramsJson) {
    public SealPlan {
        requireNonNull(logicalKey, "logicalKey is null");
        tags = Map.copyOf(tags);
        inputIds = List.copyOf(inputIds);
        requireNonNull(paramsJson, "paramsJson is null");
    }

    /** The artifact a group of runs (all of one sweep) is sealed into. */
    public static SealPlan of(List<RunRecord> runs) {
        if (runs.isEmpty()) {
            throw new IllegalArgumentException("a seal needs at least one run");
        }
        RunRecord first = runs.get(0);
        String sweepId = first.sweepId();
        for (RunRecord run : runs) {
            if (!run.sweepId().equals(sweepId)) {
                throw new IllegalArgumentException("a seal holds the runs of one sweep: " + sweepId + " and " + run.sweepId());
            }
        }
        String logicalKey = runs.size() == 1 ? "sweep=" + sweepId + "/run=" + first.runId()
                : "sweep=" + sweepId + "/runs=" + first.runId() + "+" + (runs.size() - 1);
        Map<String, String> tags = new LinkedHashMap<>();
        tags.put("sweep_id", sweepId);
        tags.put("run_status", runs.size() == 1 ? first.status().dbValue() : RunStatus.SUCCEEDED.dbValue());
        if (runs.size() == 1) {
            tags.put("run_id", first.runId());
            tags.put("scenario_id", first.scenarioId());
        }
        LinkedHashSet<String> inputs = new LinkedHashSet<>();
        runs.forEach(run -> inputs.addAll(run.inputIds()));
        return new SealPlan(logicalKey, tags, new ArrayList<>(inputs), "{\"runs\": " + runs.size() + "}");
    }

    /** The seal groups of a sweep's runs: succeeded runs together (last), every other finished, unsealed run alone. */
    public static List<List<RunRecord>> groups(Iterable<RunRecord> runsOfSweep) {
        List<RunRecord> succeeded = new ArrayList<>();
        List<List<RunRecord>> groups = new ArrayList<>();
        for (RunRecord run : runsOfSweep) {
            if (!run.status().isTerminal() || run.resultArtifactId().isPresent()) {
                continue;
            }
            if (run.status() == RunStatus.SUCCEEDED) {
                succeeded.add(run);
            } else {
                groups.add(List.of(run));
            }
        }
        if (!succeeded.isEmpty()) {
            groups.add(List.copyOf(succeeded));
        }
        return groups;
    }
}
