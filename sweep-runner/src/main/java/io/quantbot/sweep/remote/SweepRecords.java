package io.quantbot.sweep.remote;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.quantbot.storage.client.StateClient;
import io.quantbot.storage.v1.StateEntry;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * One record per sweep in StatePort (namespace {@value #NAMESPACE}, key = sweep id, a JSON value): what
 * {@code sweeps list/show/report} need without re-running it — the spec's name and text, when it ran,
 * its status and counts, and the facts a report prints (timings, spawn count, effective settings).
 * Written as {@code running} when a sweep starts and rewritten when it ends.
 */
public final class SweepRecords {
    public static final String NAMESPACE = "sweep_index";
    /** Longer spec texts are cut (a report prints at most this much; StatePort values are at most 1 MiB). */
    public static final int MAX_SPEC_CHARS = 256 * 1024;
    private static final ObjectMapper JSON = new ObjectMapper();

    /** The states a sweep's record can be in. */
    public enum Status {
        RUNNING, SUCCEEDED, FAILED, INTERRUPTED;

        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }

        static Status parse(String text) {
            for (Status status : values()) {
                if (status.label().equals(text)) {
                    return status;
                }
            }
            return FAILED;
        }
    }

    /**
     * @param scenarios scenarios in the grid
     * @param scenariosDone scenarios finished and recorded (those done by earlier attempts included)
     * @param facts the report's facts: keys ending {@code _ms} are durations, {@code _at_ms} instants
     */
    public record SweepRecord(String sweepId, String specName, String specText, Status status, long startedAtMs, long finishedAtMs,
            int scenarios, int scenariosDone, int scenariosFailed, long backtests, Map<String, String> facts) {
        public SweepRecord {
            requireNonNull(sweepId, "sweepId is null");
            requireNonNull(specName, "specName is null");
            requireNonNull(specText, "specText is null");
            requireNonNull(status, "status is null");
            facts = Collections.unmodifiableMap(new LinkedHashMap<>(requireNonNull(facts, "facts is null")));
            if (specText.length() > MAX_SPEC_CHARS) {
                specText = specText.substring(0, MAX_SPEC_CHARS) + "\n# … cut at " + MAX_SPEC_CHARS + " characters\n";
            }
        }
    }

    private final StateClient state;

    public SweepRecords(StateClient state) {
        this.state = requireNonNull(state, "state is null");
    }

    public void write(SweepRecord record) {
        ObjectNode value = JSON.createObjectNode();
        value.put("spec_name", record.specName());
        value.put("spec_text", record.specText());
        value.put("status", record.status().label());
        value.put("started_at_ms", record.startedAtMs());
        value.put("finished_at_ms", record.finishedAtMs());
        value.put("scenarios", record.scenarios());
        value.put("scenarios_done", record.scenariosDone());
        value.put("scenarios_failed", record.scenariosFailed());
        value.put("backtests", record.backtests());
        ObjectNode facts = value.putObject("facts");
        record.facts().forEach(facts::put);
        state.setJson(NAMESPACE, record.sweepId(), value.toString());
    }

    public Optional<SweepRecord> get(String sweepId) {
        return state.get(NAMESPACE, requireNonNull(sweepId, "sweepId is null")).map(SweepRecords::parse);
    }

    /** Every recorded sweep, newest start first. */
    public List<SweepRecord> list() {
        return state.list(NAMESPACE, "").map(SweepRecords::parse)
                .sorted(Comparator.comparingLong(SweepRecord::startedAtMs).reversed().thenComparing(SweepRecord::sweepId))
                .toList();
    }

    private static SweepRecord parse(StateEntry entry) {
        try {
            JsonNode value = JSON.readTree(entry.getValue().getJson());
            Map<String, String> facts = new LinkedHashMap<>();
            value.path("facts").fields().forEachRemaining(field -> facts.put(field.getKey(), field.getValue().asText()));
            return new SweepRecord(entry.getKey(), value.path("spec_name").asText(""), value.path("spec_text").asText(""),
                    Status.parse(value.path("status").asText("")), value.path("started_at_ms").asLong(), value.path("finished_at_ms").asLong(),
                    value.path("scenarios").asInt(), value.path("scenarios_done").asInt(), value.path("scenarios_failed").asInt(),
                    value.path("backtests").asLong(), facts);
        }
        catch (JsonProcessingException e) {
            throw new IllegalStateException("the sweep record " + NAMESPACE + "/" + entry.getKey() + " is not the JSON this runner writes: "
                    + e.getOriginalMessage(), e);
        }
    }
}
