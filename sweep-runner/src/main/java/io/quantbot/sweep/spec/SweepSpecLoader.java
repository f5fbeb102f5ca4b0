package io.quantbot.sweep.spec;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.MissingNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Reads a sweep file (YAML) into a {@link SweepSpec}.
 *
 * <p>The file is walked by hand rather than bound by Jackson so that every problem is reported at
 * once, each with its path ({@code overlay_sets[2].overlays[0].pct: must be > 0}), and so that an
 * unknown key is an error: a typo such as {@code slipage_bps} must not silently run with the default.
 */
public final class SweepSpecLoader {
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9._-]{1,64}");
    private static final int MAX_CHUNK_ROWS = 100_000;
    private static final int MAX_PARALLELISM = 1_024;
    private static final double MAX_BPS = 10_000;

    private static final List<String> ROOT_KEYS = List.of("sweep_id", "calls", "intervals", "entry_lags", "overlay_sets",
            "fees", "slippage_bps", "notional_usd", "time_frame", "parallelism", "chunk_rows", "entry");
    private static final List<String> OVERLAY_SET_KEYS = List.of("name", "overlays");
    private static final List<String> FEES_KEYS = List.of("taker_bps");
    private static final Map<String, List<String>> OVERLAY_KEYS = Map.of(
            "take_profit", List.of("type", "pct"),
            "stop_loss", List.of("type", "pct"),
            "trailing_stop", List.of("type", "pct"),
            "time_exit", List.of("type", "after"),
            "take_profit_ladder", List.of("type", "levels"),
            "stop_ladder", List.of("type", "levels"));
    private static final List<String> OVERLAY_TYPES = List.of("take_profit", "stop_loss", "trailing_stop", "time_exit",
            "take_profit_ladder", "stop_ladder");
    private static final List<String> LEG_KEYS = List.of("pct", "fraction");
    private static final List<String> ENTRY_RULES = List.of("next_open", "next_close", "limit");

    private final YAMLMapper mapper = YAMLMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .build();
    private final int defaultParallelism;

    /** Parallelism defaults to the number of available cores. */
    public SweepSpecLoader() {
        this(Runtime.getRuntime().availableProcessors());
    }

    public SweepSpecLoader(int defaultParallelism) {
        if (defaultParallelism < 1) {
            throw new IllegalArgumentException("defaultParallelism must be >= 1");
        }
        this.defaultParallelism = defaultParallelism;
    }

    public SweepSpec load(Path file) throws IOException, InvalidSweepSpecException {
        requireNonNull(file, "file is null");
        return parse(Files.readString(file, StandardCharsets.UTF_8), file.toString());
    }

    /** @param source names the text in error messages (usually the file path) */
    public SweepSpec parse(String yaml, String source) throws InvalidSweepSpecException {
        requireNonNull(yaml, "yaml is null");
        requireNonNull(source, "source is null");
        JsonNode root;
        try {
            root = mapper.readTree(yaml);
        }
        catch (JsonProcessingException e) {
            JsonLocation location = e.getLocation();
            String where = location == null ? "" : " (line " + location.getLineNr() + ", column " + location.getColumnNr() + ")";
            throw new InvalidSweepSpecException(source, List.of(new SpecProblem("(file)", "not valid YAML" + where + ": "
                    + e.getOriginalMessage())));
        }
        if (root == null || root.isMissingNode() || root.isNull()) {
            throw new InvalidSweepSpecException(source, List.of(new SpecProblem("(file)", "the file is empty")));
        }
        Walk walk = new Walk(root);
        Optional<SweepSpec> spec = walk.spec();
        if (!walk.problems.isEmpty() || spec.isEmpty()) {
            throw new InvalidSweepSpecException(source, walk.problems);
        }
        return spec.get();
    }

    /** One pass over one document, collecting problems instead of stopping at the first. */
    private final class Walk {
        private final JsonNode root;
        private final List<SpecProblem> problems = new ArrayList<>();

        Walk(JsonNode root) {
            this.root = root;
        }

        Optional<SweepSpec> spec() {
            if (!root.isObject()) {
                problem("(root)", "must be a mapping of keys such as " + String.join(", ", ROOT_KEYS));
                return Optional.empty();
            }
            checkKeys(root, "", ROOT_KEYS);

            Optional<String> sweepId = optionalName(root.path("sweep_id"), "sweep_id");
            Optional<CallsSource> calls = calls(required(root, "calls", ""));
            List<CandleInterval> intervals = intervals(required(root, "intervals", ""));
            List<Long> lags = lags(required(root, "entry_lags", ""));

            double takerBps = SweepSpec.DEFAULT_TAKER_FEE_BPS;
            JsonNode fees = root.path("fees");
            if (!fees.isMissingNode()) {
                if (!fees.isObject()) {
                    problem("fees", "must be a mapping such as {taker_bps: 30}");
                }
                else {
                    checkKeys(fees, "fees", FEES_KEYS);
                    takerBps = number(fees.path("taker_bps"), "fees.taker_bps", SweepSpec.DEFAULT_TAKER_FEE_BPS, 0, true,
                            MAX_BPS);
                }
            }
            double slippageBps = number(root.path("slippage_bps"), "slippage_bps", SweepSpec.DEFAULT_SLIPPAGE_BPS, 0, true,
                    MAX_BPS);
            double notional = number(root.path("notional_usd"), "notional_usd", SweepSpec.DEFAULT_NOTIONAL_USD, 0, false,
                    Double.MAX_VALUE);
            long timeFrame = SweepSpec.DEFAULT_TIME_FRAME_MILLIS;
            JsonNode timeFrameNode = root.path("time_frame");
            if (!timeFrameNode.isMissingNode()) {
                Optional<Long> parsed = duration(timeFrameNode, "time_frame");
                if (parsed.isPresent()) {
                    if (parsed.get() <= 0) {
                        problem("time_frame", "must be > 0");
                    }
                    else {
                        timeFrame = parsed.get();
                    }
                }
            }
            int parallelism = integer(root.path("parallelism"), "parallelism", defaultParallelism, 1, MAX_PARALLELISM);
            int chunkRows = integer(root.path("chunk_rows"), "chunk_rows", SweepSpec.DEFAULT_CHUNK_ROWS, 1, MAX_CHUNK_ROWS);
            List<OverlaySet> overlaySets = overlaySets(required(root, "overlay_sets", ""), timeFrame);
            EntryRule entry = entry(root.path("entry"), timeFrame);

            if (!problems.isEmpty() || calls.isEmpty()) {
                return Optional.empty();
            }
            String id = sweepId.isPresent() ? sweepId.get() : SweepSpec.derivedSweepId(SweepSpec.canonicalText(calls.get(),
                    intervals, lags, overlaySets, takerBps, slippageBps, notional, timeFrame, chunkRows, entry));
            return Optional.of(new SweepSpec(id, calls.get(), intervals, lags, overlaySets, takerBps, slippageBps,
                    notional, timeFrame, parallelism, chunkRows, entry));
        }

        private EntryRule entry(JsonNode node, long timeFrame) {
            if (node.isMissingNode()) {
                return EntryRule.NEXT_OPEN;
            }
            if (!node.isObject()) {
                problem("entry", "must be a mapping such as {rule: next_open}, {rule: next_close} or "
                        + "{rule: limit, tolerance_pct: 2, window: 30m}");
                return EntryRule.NEXT_OPEN;
            }
            JsonNode ruleNode = required(node, "rule", "entry");
            if (ruleNode.isMissingNode()) {
                return EntryRule.NEXT_OPEN;
            }
            String rule = ruleNode.isTextual() ? ruleNode.asText().trim() : "";
            switch (rule) {
                case "next_open", "next_close" -> {
                    checkKeys(node, "entry", List.of("rule"));
                    return rule.equals("next_open") ? EntryRule.NEXT_OPEN : EntryRule.NEXT_CLOSE;
                }
                case "limit" -> {
                    checkKeys(node, "entry", List.of("rule", "tolerance_pct", "window"));
                    double tolerance = number(node.path("tolerance_pct"), "entry.tolerance_pct", 0, 0, true, 1_000);
                    JsonNode windowNode = required(node, "window", "entry");
                    if (windowNode.isMissingNode()) {
                        return EntryRule.NEXT_OPEN;
                    }
                    Optional<Long> window = duration(windowNode, "entry.window");
                    if (window.isEmpty()) {
                        return EntryRule.NEXT_OPEN;
                    }
                    if (window.get() <= 0 || window.get() > timeFrame) {
                        problem("entry.window", "must be > 0 and <= time_frame (" + Durations.format(timeFrame) + ")");
                        return EntryRule.NEXT_OPEN;
                    }
                    return EntryRule.limit(tolerance, window.get());
                }
                default -> {
                    problem("entry.rule", "unknown entry rule " + render(ruleNode) + " (known: "
                            + String.join(", ", ENTRY_RULES) + ")" + suggestion(rule, ENTRY_RULES));
                    return EntryRule.NEXT_OPEN;
                }
            }
        }

        private Optional<CallsSource> calls(JsonNode node) {
            if (node.isMissingNode()) {
                return Optional.empty();
            }
            String expected = "must be a mapping with exactly one of artifact_id, logical_key, snapshot";
            if (!node.isObject()) {
                problem("calls", expected);
                return Optional.empty();
            }
            List<String> keys = new ArrayList<>();
            for (CallsSource.Kind kind : CallsSource.Kind.values()) {
                keys.add(kind.key());
            }
            checkKeys(node, "calls", keys);
            List<CallsSource> found = new ArrayList<>();
            for (CallsSource.Kind kind : CallsSource.Kind.values()) {
                JsonNode value = node.path(kind.key());
                if (value.isMissingNode()) {
                    continue;
                }
                String path = "calls." + kind.key();
                if (!value.isTextual() || value.asText().isBlank()) {
                    problem(path, "must be a non-empty string");
                    continue;
                }
                found.add(new CallsSource(kind, value.asText().trim()));
            }
            if (found.size() != 1) {
                if (found.isEmpty() && problems.stream().noneMatch(problem -> problem.path().startsWith("calls."))) {
                    problem("calls", expected);
                }
                else if (found.size() > 1) {
                    problem("calls", expected + " (found " + found.size() + ")");
                }
                return Optional.empty();
            }
            return Optional.of(found.get(0));
        }

        private List<CandleInterval> intervals(JsonNode node) {
            List<CandleInterval> intervals = new ArrayList<>();
            if (node.isMissingNode() || !nonEmptyList(node, "intervals", "[1m, 5m]")) {
                return intervals;
            }
            Set<CandleInterval> seen = new LinkedHashSet<>();
            for (int index = 0; index < node.size(); index++) {
                String path = "intervals[" + index + "]";
                JsonNode element = node.get(index);
                Optional<CandleInterval> interval = element.isTextual()
                        ? CandleInterval.fromLabel(element.asText().trim())
                        : Optional.empty();
                if (interval.isEmpty()) {
                    problem(path, "unknown interval " + render(element) + " (known: " + CandleInterval.allLabels() + ")");
                }
                else if (!seen.add(interval.get())) {
                    problem(path, "duplicate interval " + interval.get().label());
                }
                else {
                    intervals.add(interval.get());
                }
            }
            return intervals;
        }

        private List<Long> lags(JsonNode node) {
            List<Long> lags = new ArrayList<>();
            if (node.isMissingNode() || !nonEmptyList(node, "entry_lags", "[0s, 30s, 1m, 5m]")) {
                return lags;
            }
            Set<Long> seen = new LinkedHashSet<>();
            for (int index = 0; index < node.size(); index++) {
                String path = "entry_lags[" + index + "]";
                Optional<Long> lag = duration(node.get(index), path);
                if (lag.isEmpty()) {
                    continue;
                }
                if (!seen.add(lag.get())) {
                    problem(path, "duplicate lag " + Durations.format(lag.get()));
                }
                else {
                    lags.add(lag.get());
                }
            }
            return lags;
        }

        private List<OverlaySet> overlaySets(JsonNode node, long timeFrame) {
            List<OverlaySet> sets = new ArrayList<>();
            if (node.isMissingNode()
                    || !nonEmptyList(node, "overlay_sets", "[{name: tp50_sl20, overlays: [{type: take_profit, pct: 50}]}]")) {
                return sets;
            }
            Map<String, Integer> firstIndexByName = new HashMap<>();
            for (int index = 0; index < node.size(); index++) {
                String path = "overlay_sets[" + index + "]";
                JsonNode setNode = node.get(index);
                if (!setNode.isObject()) {
                    problem(path, "must be a mapping with name and overlays");
                    continue;
                }
                checkKeys(setNode, path, OVERLAY_SET_KEYS);
                Optional<String> name = optionalName(setNode.path("name"), path + ".name");
                List<Overlay> overlays = overlays(required(setNode, "overlays", path), path + ".overlays", timeFrame);
                String effectiveName = name.orElseGet(() -> OverlaySet.derivedName(overlays));
                Integer first = firstIndexByName.putIfAbsent(effectiveName, index);
                if (first != null) {
                    problem(name.isPresent() ? path + ".name" : path, "overlay set name " + effectiveName
                            + (name.isPresent() ? "" : " (derived from its overlays)") + " is already used by overlay_sets["
                            + first + "]; names must be unique");
                }
                sets.add(new OverlaySet(effectiveName, overlays));
            }
            return sets;
        }

        private List<Overlay> overlays(JsonNode node, String path, long timeFrame) {
            List<Overlay> overlays = new ArrayList<>();
            if (node.isMissingNode()) {
                return overlays;
            }
            if (!node.isArray()) {
                problem(path, "must be a list of overlays such as [{type: take_profit, pct: 50}, {type: stop_loss, pct: 20}]");
                return overlays;
            }
            Set<String> seenTypes = new LinkedHashSet<>();
            for (int index = 0; index < node.size(); index++) {
                String overlayPath = path + "[" + index + "]";
                JsonNode overlayNode = node.get(index);
                if (!overlayNode.isObject()) {
                    problem(overlayPath, "must be a mapping such as {type: stop_loss, pct: 20}");
                    continue;
                }
                JsonNode typeNode = overlayNode.path("type");
                if (typeNode.isMissingNode()) {
                    problem(overlayPath + ".type", "is required (one of " + String.join(", ", OVERLAY_TYPES) + ")");
                    continue;
                }
                String type = typeNode.isTextual() ? typeNode.asText().trim() : "";
                if (!OVERLAY_KEYS.containsKey(type)) {
                    problem(overlayPath + ".type", "unknown overlay type " + render(typeNode) + " (known: "
                            + String.join(", ", OVERLAY_TYPES) + ")" + suggestion(type, OVERLAY_TYPES));
                    continue;
                }
                checkKeys(overlayNode, overlayPath, OVERLAY_KEYS.get(type));
                if (!seenTypes.add(type)) {
                    problem(overlayPath + ".type", type + " appears more than once in this overlay set");
                }
                Optional<Overlay> overlay = switch (type) {
                    case "take_profit" -> percent(overlayNode, overlayPath, false).map(Overlay.TakeProfit::new);
                    case "stop_loss" -> percent(overlayNode, overlayPath, true).map(Overlay.StopLoss::new);
                    case "trailing_stop" -> percent(overlayNode, overlayPath, true).map(Overlay.TrailingStop::new);
                    case "time_exit" -> timeExit(overlayNode, overlayPath, timeFrame);
                    case "take_profit_ladder" -> legs(overlayNode, overlayPath, false).map(Overlay.TakeProfitLadder::new);
                    case "stop_ladder" -> legs(overlayNode, overlayPath, true).map(Overlay.StopLadder::new);
                    default -> throw new IllegalStateException("unreachable overlay type " + type);
                };
                overlay.ifPresent(overlays::add);
            }
            if (seenTypes.contains("take_profit") && seenTypes.contains("take_profit_ladder")) {
                problem(path, "take_profit and take_profit_ladder cannot be combined (a take_profit is a one-leg ladder)");
            }
            if (seenTypes.contains("stop_loss") && seenTypes.contains("stop_ladder")) {
                problem(path, "stop_loss and stop_ladder cannot be combined (a stop_loss is a one-leg ladder)");
            }
            return overlays;
        }

        /** levels: [{pct: 50, fraction: 0.5}, ...] in ascending pct, fractions in (0, 1] adding up to at most 1. */
        private Optional<List<Overlay.Leg>> legs(JsonNode overlayNode, String overlayPath, boolean belowHundred) {
            JsonNode levels = required(overlayNode, "levels", overlayPath);
            String path = overlayPath + ".levels";
            if (levels.isMissingNode() || !nonEmptyList(levels, path, "[{pct: 50, fraction: 0.5}, {pct: 100, fraction: 0.5}]")) {
                return Optional.empty();
            }
            List<Overlay.Leg> legs = new ArrayList<>();
            int before = problems.size();
            double sum = 0;
            for (int index = 0; index < levels.size(); index++) {
                String legPath = path + "[" + index + "]";
                JsonNode leg = levels.get(index);
                if (!leg.isObject()) {
                    problem(legPath, "must be a mapping such as {pct: 50, fraction: 0.5}");
                    continue;
                }
                checkKeys(leg, legPath, LEG_KEYS);
                Optional<Double> pct = percent(leg, legPath, belowHundred);
                JsonNode fractionNode = required(leg, "fraction", legPath);
                if (pct.isEmpty() || fractionNode.isMissingNode()) {
                    continue;
                }
                if (!fractionNode.isNumber() || !(fractionNode.asDouble() > 0) || fractionNode.asDouble() > 1) {
                    problem(legPath + ".fraction", "must be a number in (0, 1] (share of the position), got "
                            + render(fractionNode));
                    continue;
                }
                if (!legs.isEmpty() && !(pct.get() > legs.get(legs.size() - 1).pct())) {
                    problem(legPath + ".pct", "levels must be in strictly ascending pct order");
                    continue;
                }
                sum += fractionNode.asDouble();
                legs.add(new Overlay.Leg(pct.get(), fractionNode.asDouble()));
            }
            if (sum > 1 + Overlay.FRACTION_SUM_TOLERANCE) {
                problem(path, "fractions add up to " + plain(sum) + ", more than 1 (the whole position)");
            }
            return problems.size() == before ? Optional.of(legs) : Optional.empty();
        }

        private Optional<Double> percent(JsonNode overlayNode, String overlayPath, boolean belowHundred) {
            JsonNode pct = required(overlayNode, "pct", overlayPath);
            if (pct.isMissingNode()) {
                return Optional.empty();
            }
            String path = overlayPath + ".pct";
            if (!pct.isNumber()) {
                problem(path, "must be a number (percent, e.g. 20 for 20 %), got " + render(pct));
                return Optional.empty();
            }
            double value = pct.asDouble();
            if (!(value > 0) || Double.isInfinite(value)) {
                problem(path, "must be > 0");
                return Optional.empty();
            }
            if (belowHundred && value >= 100) {
                problem(path, "must be < 100 (a stop at or below zero never triggers)");
                return Optional.empty();
            }
            return Optional.of(value);
        }

        private Optional<Overlay> timeExit(JsonNode overlayNode, String overlayPath, long timeFrame) {
            JsonNode after = required(overlayNode, "after", overlayPath);
            if (after.isMissingNode()) {
                return Optional.empty();
            }
            String path = overlayPath + ".after";
            Optional<Long> millis = duration(after, path);
            if (millis.isEmpty()) {
                return Optional.empty();
            }
            if (millis.get() <= 0) {
                problem(path, "must be > 0");
                return Optional.empty();
            }
            if (millis.get() > timeFrame) {
                problem(path, "must be <= time_frame (" + Durations.format(timeFrame) + ")");
                return Optional.empty();
            }
            return Optional.of(new Overlay.TimeExit(millis.get()));
        }

        private Optional<Long> duration(JsonNode node, String path) {
            Optional<Long> millis = Optional.empty();
            if (node.isTextual()) {
                try {
                    millis = Durations.parseMillis(node.asText());
                }
                catch (ArithmeticException e) {
                    problem(path, "duration " + render(node) + " is too large");
                    return Optional.empty();
                }
            }
            else if (node.isIntegralNumber() && node.asLong() == 0) {
                millis = Optional.of(0L);
            }
            if (millis.isEmpty()) {
                problem(path, "must be a duration such as 0s, 500ms, 30s, 5m, 4h or 1d, got " + render(node));
            }
            return millis;
        }

        private double number(JsonNode node, String path, double defaultValue, double minimum, boolean minimumAllowed,
                double maximum) {
            if (node.isMissingNode()) {
                return defaultValue;
            }
            if (!node.isNumber()) {
                problem(path, "must be a number, got " + render(node));
                return defaultValue;
            }
            double value = node.asDouble();
            if (minimumAllowed ? !(value >= minimum) : !(value > minimum)) {
                problem(path, "must be " + (minimumAllowed ? ">= " : "> ") + plain(minimum));
                return defaultValue;
            }
            if (value > maximum || Double.isInfinite(value)) {
                problem(path, "must be <= " + plain(maximum));
                return defaultValue;
            }
            return value;
        }

        private int integer(JsonNode node, String path, int defaultValue, int minimum, int maximum) {
            if (node.isMissingNode()) {
                return defaultValue;
            }
            if (!node.isIntegralNumber()) {
                problem(path, "must be a whole number, got " + render(node));
                return defaultValue;
            }
            long value = node.asLong();
            if (value < minimum || value > maximum) {
                problem(path, "must be between " + minimum + " and " + maximum);
                return defaultValue;
            }
            return (int) value;
        }

        private Optional<String> optionalName(JsonNode node, String path) {
            if (node.isMissingNode()) {
                return Optional.empty();
            }
            if (!node.isTextual() || !NAME.matcher(node.asText()).matches()) {
                problem(path, "must be 1 to 64 characters of A-Z a-z 0-9 . _ -, got " + render(node));
                return Optional.empty();
            }
            return Optional.of(node.asText());
        }

        private boolean nonEmptyList(JsonNode node, String path, String example) {
            if (!node.isArray()) {
                problem(path, "must be a list such as " + example);
                return false;
            }
            if (node.isEmpty()) {
                problem(path, "must not be empty");
                return false;
            }
            return true;
        }

        private JsonNode required(JsonNode parent, String key, String parentPath) {
            JsonNode node = parent.path(key);
            if (node.isMissingNode() || node.isNull()) {
                problem(parentPath.isEmpty() ? key : parentPath + "." + key, "is required");
                return MissingNode.getInstance();
            }
            return node;
        }

        private void checkKeys(JsonNode node, String path, List<String> known) {
            Iterator<String> names = node.fieldNames();
            while (names.hasNext()) {
                String name = names.next();
                if (!known.contains(name)) {
                    problem(path.isEmpty() ? name : path + "." + name, "unknown key (known: " + String.join(", ", known) + ")"
                            + suggestion(name, known));
                }
            }
        }

        private void problem(String path, String message) {
            problems.add(new SpecProblem(path, message));
        }
    }

    /** "; did you mean slippage_bps?" when a known key is within two edits, else "". */
    static String suggestion(String given, List<String> known) {
        String best = null;
        int bestDistance = 3;
        for (String candidate : known) {
            int distance = editDistance(given, candidate);
            if (distance < bestDistance) {
                bestDistance = distance;
                best = candidate;
            }
        }
        return best == null ? "" : "; did you mean " + best + "?";
    }

    private static int editDistance(String left, String right) {
        int[] previous = new int[right.length() + 1];
        int[] current = new int[right.length() + 1];
        for (int j = 0; j <= right.length(); j++) {
            previous[j] = j;
        }
        for (int i = 1; i <= left.length(); i++) {
            current[0] = i;
            for (int j = 1; j <= right.length(); j++) {
                int substitution = previous[j - 1] + (left.charAt(i - 1) == right.charAt(j - 1) ? 0 : 1);
                current[j] = Math.min(substitution, Math.min(previous[j] + 1, current[j - 1] + 1));
            }
            int[] swap = previous;
            previous = current;
            current = swap;
        }
        return previous[right.length()];
    }

    private static String render(JsonNode node) {
        return node.isTextual() ? "'" + node.asText() + "'" : node.toString();
    }

    private static String plain(double value) {
        return BigDecimal.valueOf(value).stripTrailingZeros().toPlainString();
    }
}
