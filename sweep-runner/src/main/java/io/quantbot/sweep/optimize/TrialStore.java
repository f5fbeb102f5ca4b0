package io.quantbot.sweep.optimize;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.quantbot.storage.client.StateClient;
import io.quantbot.storage.v1.StateEntry;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * The finished trials of an optimization, in StatePort: namespace {@value #NAMESPACE}, key
 * {@code <optimize id>/meta} (the settings hash, so a resume with other settings is refused) and one key per
 * finished batch, {@code <optimize id>/g/<group>/<batch number, 6 digits>}, holding the batch's trials as JSON
 * (unit coordinates, per-fold metrics, pruned flag, score). A batch is written in one Set, so a killed optimize
 * loses at most the batch it was running; a rerun replays the recorded batches into the optimizer and goes on.
 * Doubles are written exactly (shortest round-trip form), NaN as null.
 */
public final class TrialStore {
    public static final String NAMESPACE = "optimize";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final StateClient state;
    private final String optimizeId;

    public TrialStore(StateClient state, String optimizeId) {
        this.state = requireNonNull(state, "state is null");
        this.optimizeId = requireNonNull(optimizeId, "optimizeId is null");
    }

    /**
     * Records the settings hash on first use; returns false when the id was used before with other settings.
     */
    public boolean claim(String specHash) {
        String key = optimizeId + "/meta";
        Optional<StateEntry> existing = state.get(NAMESPACE, key);
        if (existing.isPresent()) {
            try {
                return specHash.equals(JSON.readTree(existing.get().getValue().getJson()).path("spec_hash").asText());
            }
            catch (JsonProcessingException e) {
                return false;
            }
        }
        state.setJson(NAMESPACE, key, JSON.createObjectNode().put("spec_hash", specHash).toString());
        return true;
    }

    /** The recorded trials of a group, in trial order. */
    public List<Optimizer.Trial> load(String group, SearchSpace space) {
        List<Optimizer.Trial> trials = new ArrayList<>();
        state.list(NAMESPACE, prefix(group)).forEach(entry -> {
            try {
                for (JsonNode node : JSON.readTree(entry.getValue().getJson())) {
                    trials.add(trial(node, space));
                }
            }
            catch (JsonProcessingException e) {
                throw new IllegalStateException("optimize state " + entry.getKey() + " is not valid JSON: " + e.getOriginalMessage(), e);
            }
        });
        trials.sort((a, b) -> Integer.compare(a.number(), b.number()));
        for (int index = 0; index < trials.size(); index++) {
            if (trials.get(index).number() != index) {
                throw new IllegalStateException("optimize state of group " + group + " misses trial " + index);
            }
        }
        return trials;
    }

    /** Records one finished batch (its trials in order). */
    public void record(String group, int batchNumber, List<Optimizer.Trial> batch) {
        ArrayNode array = JSON.createArrayNode();
        for (Optimizer.Trial trial : batch) {
            array.add(node(trial));
        }
        state.setJson(NAMESPACE, prefix(group) + String.format(Locale.ROOT, "%06d", batchNumber), array.toString());
    }

    private String prefix(String group) {
        return optimizeId + "/g/" + keySafe(group) + "/";
    }

    /** Printable ASCII without spaces, as StatePort keys are: everything else percent-encoded as UTF-8. */
    static String keySafe(String text) {
        StringBuilder out = new StringBuilder();
        for (byte b : text.getBytes(StandardCharsets.UTF_8)) {
            int c = b & 0xff;
            if (c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
                out.append((char) c);
            }
            else {
                out.append('%').append(String.format(Locale.ROOT, "%02X", c));
            }
        }
        return out.toString();
    }

    private static ObjectNode node(Optimizer.Trial trial) {
        ObjectNode node = JSON.createObjectNode();
        node.put("n", trial.number());
        ArrayNode unit = node.putArray("u");
        for (double value : trial.unit()) {
            unit.add(value);
        }
        node.put("pruned", trial.pruned());
        number(node, "score", trial.score());
        number(node, "oos", trial.outOfSampleMean());
        ArrayNode folds = node.putArray("folds");
        for (Optimizer.FoldResult fold : trial.folds()) {
            ObjectNode f = folds.addObject();
            f.put("fold", fold.fold());
            f.set("is", metrics(fold.inSample()));
            f.set("oos", metrics(fold.outOfSample()));
        }
        return node;
    }

    private static Optimizer.Trial trial(JsonNode node, SearchSpace space) {
        double[] unit = new double[node.path("u").size()];
        for (int index = 0; index < unit.length; index++) {
            unit[index] = node.path("u").get(index).doubleValue();
        }
        Policy policy = space.policy(unit);
        int number = node.path("n").intValue();
        List<Optimizer.FoldResult> folds = new ArrayList<>();
        for (JsonNode f : node.path("folds")) {
            folds.add(new Optimizer.FoldResult(number, f.path("fold").intValue(), policy, metrics(f.path("is")), metrics(f.path("oos"))));
        }
        return new Optimizer.Trial(number, unit, policy, folds, node.path("pruned").booleanValue(), number(node.path("score")),
                number(node.path("oos")));
    }

    private static ArrayNode metrics(Metrics m) {
        ArrayNode array = JSON.createArrayNode();
        array.add(m.calls()).add(m.trades());
        for (double value : new double[] {m.mean(), m.median(), m.std(), m.sharpe(), m.winRate(), m.total(), m.maxDrawdown(), m.worst(),
                m.best(), m.sortino(), m.profitFactor()}) {
            if (Double.isNaN(value)) {
                array.addNull();
            }
            else {
                array.add(value);
            }
        }
        return array;
    }

    private static Metrics metrics(JsonNode a) {
        return new Metrics(a.get(0).intValue(), a.get(1).intValue(), number(a.get(2)), number(a.get(3)), number(a.get(4)), number(a.get(5)),
                number(a.get(6)), number(a.get(7)), number(a.get(8)), number(a.get(9)), number(a.get(10)), number(a.get(11)),
                number(a.get(12)));
    }

    private static void number(ObjectNode node, String field, double value) {
        if (Double.isNaN(value)) {
            node.putNull(field);
        }
        else {
            node.put(field, value);
        }
    }

    private static double number(JsonNode node) {
        return node == null || node.isNull() || node.isMissingNode() ? Double.NaN : node.doubleValue();
    }
}
