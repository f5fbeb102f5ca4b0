package io.quantbot.sweep.remote;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.quantbot.storage.client.StateClient;
import io.quantbot.storage.client.Values;
import io.quantbot.storage.v1.SetRequest;
import io.quantbot.storage.v1.StateEntry;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;

/**
 * Completed scenarios of a sweep, recorded in StatePort: namespace {@value #NAMESPACE}, key
 * {@code <sweep_id>/<scenario_id>}, a JSON value naming the run. A scenario is recorded only after its run
 * finished SUCCEEDED with every row, so a recorded scenario is never run again.
 */
public final class SweepCheckpoints {
    public static final String NAMESPACE = "sweeps";
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Checkpoints per BatchSet: well under the daemon's state.max-batch-size (1,000 by default). */
    static final int MAX_PER_BATCH = 500;

    private final StateClient state;

    /** What is kept per completed scenario. */
    public record Checkpoint(String scenarioId, String runId, long rows, long tradeable, OptionalDouble meanNetReturn) {
        public Checkpoint {
            requireNonNull(scenarioId, "scenarioId is null");
            requireNonNull(runId, "runId is null");
            requireNonNull(meanNetReturn, "meanNetReturn is null");
        }
    }

    public SweepCheckpoints(StateClient state) {
        this.state = requireNonNull(state, "state is null");
    }

    public static String key(String sweepId, String scenarioId) {
        return sweepId + "/" + scenarioId;
    }

    /** The completed scenarios of the sweep by scenario id (one paged List call). */
    public Map<String, Checkpoint> completed(String sweepId) {
        requireNonNull(sweepId, "sweepId is null");
        String prefix = sweepId + "/";
        Map<String, Checkpoint> completed = new LinkedHashMap<>();
        state.list(NAMESPACE, prefix).forEach(entry -> {
            Checkpoint checkpoint = parse(entry.getKey().substring(prefix.length()), entry);
            completed.put(checkpoint.scenarioId(), checkpoint);
        });
        return completed;
    }

    /** The scenario's checkpoint, if it was completed (one Get). */
    public java.util.Optional<Checkpoint> get(String sweepId, String scenarioId) {
        return state.get(NAMESPACE, key(sweepId, scenarioId)).map(entry -> parse(scenarioId, entry));
    }

    /**
     * Removes the scenario's checkpoint if it still names {@code runId}: that run was declared LOST by a cluster of
     * daemons (its owner died before the seal), so the scenario must run again. A checkpoint another attempt wrote
     * meanwhile (another run id, or a newer version) is left alone.
     */
    public void forgetLost(String sweepId, String scenarioId, String runId) {
        String key = key(sweepId, scenarioId);
        state.get(NAMESPACE, key).ifPresent(entry -> {
            if (parse(scenarioId, entry).runId().equals(runId)) {
                try {
                    state.delete(NAMESPACE, key, entry.getVersion());
                }
                catch (io.quantbot.storage.client.VersionConflictException | io.quantbot.storage.client.NotFoundException changed) {
                    // another attempt got there first
                }
            }
        });
    }

    /**
     * Records completed scenarios: one StatePort BatchSet per {@value #MAX_PER_BATCH} checkpoints (each BatchSet is
     * atomic), so a batch of finished runs is recorded in one round trip.
     */
    public void recordAll(String sweepId, List<Checkpoint> checkpoints, long finishedAtMillis) {
        for (int from = 0; from < checkpoints.size(); from += MAX_PER_BATCH) {
            List<SetRequest> entries = new ArrayList<>();
            for (Checkpoint checkpoint : checkpoints.subList(from, Math.min(checkpoints.size(), from + MAX_PER_BATCH))) {
                entries.add(SetRequest.newBuilder().setNamespace(NAMESPACE).setKey(key(sweepId, checkpoint.scenarioId()))
                        .setValue(Values.json(json(checkpoint, finishedAtMillis))).build());
            }
            state.batchSet(entries);
        }
    }

    private static String json(Checkpoint checkpoint, long finishedAtMillis) {
        ObjectNode value = JSON.createObjectNode();
        value.put("run_id", checkpoint.runId());
        value.put("rows", checkpoint.rows());
        value.put("tradeable", checkpoint.tradeable());
        checkpoint.meanNetReturn().ifPresent(mean -> value.put("mean_net_return", mean));
        value.put("finished_at_ms", finishedAtMillis);
        return value.toString();
    }

    private static Checkpoint parse(String scenarioId, StateEntry entry) {
        try {
            JsonNode value = JSON.readTree(entry.getValue().getJson());
            JsonNode mean = value.path("mean_net_return");
            return new Checkpoint(scenarioId, value.path("run_id").asText(""), value.path("rows").asLong(),
                    value.path("tradeable").asLong(), mean.isNumber() ? OptionalDouble.of(mean.asDouble()) : OptionalDouble.empty());
        }
        catch (JsonProcessingException e) {
            throw new IllegalStateException("the checkpoint " + NAMESPACE + "/" + entry.getKey() + " is not the JSON this runner writes: "
                    + e.getOriginalMessage(), e);
        }
    }
}
