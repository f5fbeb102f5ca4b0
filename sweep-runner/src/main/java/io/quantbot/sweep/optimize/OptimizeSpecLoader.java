package io.quantbot.sweep.optimize;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.quantbot.sweep.spec.Durations;
import io.quantbot.sweep.spec.InvalidSweepSpecException;
import io.quantbot.sweep.spec.SpecProblem;
import io.quantbot.sweep.spec.SweepSpec;
import io.quantbot.sweep.spec.SweepSpecLoader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Reads an optimize file: a sweep file with one interval and one entry lag, no {@code overlay_sets}, and an
 * {@code optimize} section (see sweep-runner/README.md, "optimize"). Every problem is collected and reported at
 * once, each with its path, as the sweep file loader does.
 */
public final class OptimizeSpecLoader {
    private static final List<String> KEYS = List.of("id", "sampler", "trials", "folds", "seed", "batch_size", "prune_after_trials",
            "group_by", "min_calls", "top", "grid_points", "search");
    private static final List<String> SEARCH_KEYS = List.of("take_profit_pct", "stop_loss_pct", "trailing_pct", "time_exit");
    private static final List<String> SAMPLERS = List.of("grid", "random", "tpe");
    private static final Pattern ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,99}");
    public static final int MAX_TRIALS = 100_000;

    private final YAMLMapper mapper = YAMLMapper.builder().enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build();
    private final SweepSpecLoader sweeps;

    public OptimizeSpecLoader(SweepSpecLoader sweeps) {
        this.sweeps = requireNonNull(sweeps, "sweeps is null");
    }

    public OptimizeSpec load(Path file) throws IOException, InvalidSweepSpecException {
        return parse(Files.readString(file, StandardCharsets.UTF_8), file.toString());
    }

    public OptimizeSpec parse(String yaml, String source) throws InvalidSweepSpecException {
        List<SpecProblem> problems = new ArrayList<>();
        JsonNode root;
        try {
            root = mapper.readTree(yaml);
        }
        catch (JsonProcessingException e) {
            throw new InvalidSweepSpecException(source, List.of(new SpecProblem("(file)", "not valid YAML: " + e.getOriginalMessage())));
        }
        if (root == null || !root.isObject()) {
            throw new InvalidSweepSpecException(source, List.of(new SpecProblem("(root)", "must be a mapping with an optimize section")));
        }
        ObjectNode rest = ((ObjectNode) root).deepCopy();
        JsonNode section = rest.remove("optimize");
        if (section == null || !section.isObject()) {
            problems.add(new SpecProblem("optimize", "required: a mapping such as {sampler: tpe, trials: 200, folds: 5}"));
            section = mapper.createObjectNode();
        }
        if (rest.has("overlay_sets")) {
            problems.add(new SpecProblem("overlay_sets", "not used by optimize: the exits are searched (optimize.search sets their bounds)"));
            rest.remove("overlay_sets");
        }
        // The sweep part is read by the sweep file's own loader; its overlay set is a placeholder the search replaces.
        rest.set("overlay_sets", mapper.createArrayNode().add(mapper.createObjectNode().put("name", "optimize")
                .set("overlays", mapper.createArrayNode())));
        SweepSpec sweep = null;
        try {
            sweep = sweeps.parse(mapper.writeValueAsString(rest), source);
        }
        catch (InvalidSweepSpecException e) {
            problems.addAll(e.problems());
        }
        catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
        if (sweep != null && sweep.intervals().size() != 1) {
            problems.add(new SpecProblem("intervals", "optimize searches at one interval; give exactly one, e.g. [1m]"));
        }
        if (sweep != null && sweep.entryLagsMillis().size() != 1) {
            problems.add(new SpecProblem("entry_lags", "optimize searches at one entry lag; give exactly one, e.g. [0s]"));
        }

        for (Iterator<String> names = section.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (!KEYS.contains(name)) {
                problems.add(new SpecProblem("optimize." + name, "unknown key (known: " + String.join(", ", KEYS) + ")"));
            }
        }
        String sampler = text(section, "sampler", "tpe", problems);
        if (!SAMPLERS.contains(sampler)) {
            problems.add(new SpecProblem("optimize.sampler", "unknown sampler '" + sampler + "' (known: " + String.join(", ", SAMPLERS) + ")"));
        }
        int trials = integer(section, "trials", 200, 1, MAX_TRIALS, problems);
        int folds = integer(section, "folds", 5, 1, 20, problems);
        long seed = section.path("seed").isMissingNode() ? 7 : integer(section, "seed", 7, 0, Integer.MAX_VALUE, problems);
        int batchSize = integer(section, "batch_size", 8, 1, 1_000, problems);
        int pruneAfter = integer(section, "prune_after_trials", 10, 1, MAX_TRIALS, problems);
        String groupBy = text(section, "group_by", OptimizeSpec.GROUP_CALLER, problems);
        if (!groupBy.equals(OptimizeSpec.GROUP_CALLER) && !groupBy.equals(OptimizeSpec.GROUP_NONE)) {
            problems.add(new SpecProblem("optimize.group_by", "must be caller or none, got '" + groupBy + "'"));
        }
        int minCalls = integer(section, "min_calls", 2 * (folds + 1), folds + 1, Integer.MAX_VALUE, problems);
        int top = integer(section, "top", 5, 1, 1_000, problems);
        int gridPoints = integer(section, "grid_points", Math.max(1, (int) Math.ceil(Math.pow(trials, 0.25) - 1e-9)), 1, 100, problems);
        SearchSpace space = search(section.path("search"), problems);

        if (sweep != null && space.timeExitMaxMinutes() * 60_000L > sweep.timeFrameMillis()) {
            problems.add(new SpecProblem("optimize.search.time_exit", "the upper bound (" + Durations.format(space.timeExitMaxMinutes() * 60_000L)
                    + ") is longer than time_frame (" + Durations.format(sweep.timeFrameMillis()) + "), which ends every trade first;"
                    + " raise time_frame or lower the bound"));
        }
        String optimizeId = section.path("id").isMissingNode() ? null : text(section, "id", "", problems);
        if (optimizeId != null && !ID.matcher(optimizeId).matches()) {
            problems.add(new SpecProblem("optimize.id", "must be 1-100 letters, digits, '.', '_' or '-', starting with a letter or digit"));
        }
        if (!problems.isEmpty()) {
            throw new InvalidSweepSpecException(source, problems);
        }
        String canonical = String.join("\n", sweep.canonicalText(), sampler, Integer.toString(trials), Integer.toString(folds),
                Long.toString(seed), Integer.toString(batchSize), Integer.toString(pruneAfter), groupBy, Integer.toString(minCalls),
                Integer.toString(gridPoints), space.toString());
        String hash = sha256(canonical);
        String id = optimizeId != null ? optimizeId : root.has("sweep_id") ? sweep.sweepId() : "opt-" + hash.substring(0, 12);
        return new OptimizeSpec(id, sweep, sampler, trials, folds, seed, batchSize, pruneAfter, groupBy, minCalls, top, space, gridPoints,
                hash);
    }

    private SearchSpace search(JsonNode node, List<SpecProblem> problems) {
        SearchSpace defaults = SearchSpace.DEFAULT;
        if (node.isMissingNode()) {
            return defaults;
        }
        if (!node.isObject()) {
            problems.add(new SpecProblem("optimize.search", "must be a mapping such as {take_profit_pct: [10, 500]}"));
            return defaults;
        }
        for (Iterator<String> names = node.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (!SEARCH_KEYS.contains(name)) {
                problems.add(new SpecProblem("optimize.search." + name, "unknown key (known: " + String.join(", ", SEARCH_KEYS) + ")"));
            }
        }
        double[] tp = range(node, "take_profit_pct", defaults.takeProfitMin(), defaults.takeProfitMax(), 0, 100_000, problems);
        double[] sl = range(node, "stop_loss_pct", defaults.stopMin(), defaults.stopMax(), 0, 99.999, problems);
        double[] tr = range(node, "trailing_pct", defaults.trailingMin(), defaults.trailingMax(), 0, 99.999, problems);
        long[] tx = {defaults.timeExitMinMinutes(), defaults.timeExitMaxMinutes()};
        JsonNode time = node.path("time_exit");
        if (!time.isMissingNode()) {
            Optional<Long> low = time.isArray() && time.size() == 2 ? Durations.parseMillis(time.get(0).asText()) : Optional.empty();
            Optional<Long> high = time.isArray() && time.size() == 2 ? Durations.parseMillis(time.get(1).asText()) : Optional.empty();
            if (low.isEmpty() || high.isEmpty() || low.get() < 60_000 || high.get() < low.get()) {
                problems.add(new SpecProblem("optimize.search.time_exit", "must be [LOW, HIGH] durations of at least 1m, e.g. [15m, 48h]"));
            }
            else {
                tx = new long[] {low.get() / 60_000, high.get() / 60_000};
            }
        }
        try {
            return new SearchSpace(tp[0], tp[1], sl[0], sl[1], tr[0], tr[1], tx[0], tx[1]);
        }
        catch (IllegalArgumentException e) {
            return defaults;
        }
    }

    private static double[] range(JsonNode node, String key, double low, double high, double min, double max, List<SpecProblem> problems) {
        JsonNode value = node.path(key);
        if (value.isMissingNode()) {
            return new double[] {low, high};
        }
        if (!value.isArray() || value.size() != 2 || !value.get(0).isNumber() || !value.get(1).isNumber()) {
            problems.add(new SpecProblem("optimize.search." + key, "must be [LOW, HIGH] numbers, e.g. [" + fmt(low) + ", " + fmt(high) + "]"));
            return new double[] {low, high};
        }
        double a = value.get(0).asDouble();
        double b = value.get(1).asDouble();
        if (!(a > min) || !(b >= a) || !(b <= max)) {
            problems.add(new SpecProblem("optimize.search." + key, "needs " + fmt(min) + " < LOW <= HIGH <= " + fmt(max) + ", got ["
                    + fmt(a) + ", " + fmt(b) + "]"));
            return new double[] {low, high};
        }
        return new double[] {a, b};
    }

    private static String text(JsonNode section, String key, String fallback, List<SpecProblem> problems) {
        JsonNode value = section.path(key);
        if (value.isMissingNode()) {
            return fallback;
        }
        if (!value.isTextual() || value.asText().isBlank()) {
            problems.add(new SpecProblem("optimize." + key, "must be a word"));
            return fallback;
        }
        // Words (sampler, group_by) are case-insensitive; the id keeps its case.
        return key.equals("id") ? value.asText().trim() : value.asText().trim().toLowerCase(Locale.ROOT);
    }

    private static int integer(JsonNode section, String key, int fallback, long min, long max, List<SpecProblem> problems) {
        JsonNode value = section.path(key);
        if (value.isMissingNode()) {
            return fallback;
        }
        if (!value.isIntegralNumber() || value.asLong() < min || value.asLong() > max) {
            problems.add(new SpecProblem("optimize." + key, "must be a whole number in " + min + ".." + max + ", got " + value));
            return fallback;
        }
        return value.asInt();
    }

    private static String fmt(double value) {
        return value == Math.rint(value) ? Long.toString((long) value) : Double.toString(value);
    }

    private static String sha256(String text) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
        }
        catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
