package io.quantbot.sweep.simulation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.quantbot.sweep.spec.SweepSpec;
import io.quantbot.sweep.spec.SweepSpecLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * Runs every worked example of docs/backtest-rules.md (each {@code yaml} block with an {@code expect} key) through
 * the sweep spec loader and the sweep simulator, and compares every expected field.
 */
class BacktestRulesDocTest {
    private static final Path DOCUMENT = Path.of("../docs/backtest-rules.md");
    private static final Pattern YAML_BLOCK = Pattern.compile("(?s)```yaml\\n(.*?)```");
    private static final YAMLMapper YAML = new YAMLMapper();

    static List<JsonNode> examples() throws Exception {
        Matcher block = YAML_BLOCK.matcher(Files.readString(DOCUMENT));
        List<JsonNode> examples = new ArrayList<>();
        while (block.find()) {
            JsonNode node = YAML.readTree(block.group(1));
            if (node != null && node.has("expect")) {
                examples.add(node);
            }
        }
        return examples;
    }

    @Test
    void the_document_has_its_examples() throws Exception {
        assertThat(examples()).hasSizeGreaterThanOrEqualTo(12)
                .allSatisfy(example -> assertThat(example.path("example").asText()).isNotEmpty());
    }

    @TestFactory
    Stream<DynamicTest> every_worked_example_gives_the_documented_row() throws Exception {
        return examples().stream().map(example -> DynamicTest.dynamicTest(example.get("example").asText(), () -> run(example)));
    }

    private static void run(JsonNode example) throws Exception {
        ObjectNode file = YAML.createObjectNode();
        file.putObject("calls").put("snapshot", "doc");
        file.putArray("intervals").add(example.get("interval").asText());
        file.putArray("entry_lags").add(example.get("lag").asText());
        if (example.has("time_frame")) {
            file.put("time_frame", example.get("time_frame").asText());
        }
        if (example.has("entry")) {
            file.set("entry", example.get("entry"));
        }
        ObjectNode set = file.putArray("overlay_sets").addObject();
        set.put("name", "example");
        set.set("overlays", example.get("overlays"));
        SweepSpec spec = new SweepSpecLoader(1).parse(YAML.writeValueAsString(file), "backtest-rules.md");

        JsonNode candles = example.get("candles");
        int size = candles.size();
        long[] ts = new long[size];
        double[][] ohlc = new double[4][size];
        for (int index = 0; index < size; index++) {
            ts[index] = candles.get(index).get(0).asLong();
            for (int field = 0; field < 4; field++) {
                ohlc[field][index] = candles.get(index).get(field + 1).asDouble();
            }
        }
        CandleSeries series = new CandleSeries(spec.intervals().get(0), ts, ohlc[0], ohlc[1], ohlc[2], ohlc[3],
                new double[size], size);
        JsonNode callNode = example.get("call");
        double price = callNode.has("price") ? callNode.get("price").asDouble() : Double.NaN;
        Call call = new Call("c1", "doc", "TOKEN", "solana", callNode.get("ts").asLong(), price);

        List<String> seen = new ArrayList<>();
        new SweepSimulator(spec).simulate(0, call, series, (scenario, outcome) -> {
            check(example.get("expect"), outcome);
            seen.add(scenario.id());
        });
        assertThat(seen).hasSize(1);
    }

    private static void check(JsonNode expect, BacktestOutcome outcome) {
        boolean tradeable = !expect.has("tradeable") || expect.get("tradeable").asBoolean();
        assertThat(outcome.tradeable()).as("tradeable (%s)", outcome).isEqualTo(tradeable);
        expect.fields().forEachRemaining(field -> {
            JsonNode want = field.getValue();
            String name = field.getKey();
            switch (name) {
                case "tradeable" -> { }
                case "skip_reason" -> assertThat(outcome.skipReason().label()).as(name).isEqualTo(want.asText());
                case "exit_reason" -> assertThat(outcome.exitReason().label()).as(name).isEqualTo(want.asText());
                case "entry_ts" -> assertThat(outcome.entryTimestamp()).as(name).isEqualTo(want.asLong());
                case "exit_ts" -> assertThat(outcome.exitTimestamp()).as(name).isEqualTo(want.asLong());
                case "candles_used" -> assertThat(outcome.candlesUsed()).as(name).isEqualTo(want.asInt());
                case "entry_px" -> assertThat(outcome.entryPrice()).as(name).isCloseTo(want.asDouble(), within(1e-9));
                case "exit_px" -> assertThat(outcome.exitPrice()).as(name).isCloseTo(want.asDouble(), within(1e-9));
                case "gross_return" -> assertThat(outcome.grossReturn()).as(name).isCloseTo(want.asDouble(), within(1e-9));
                case "net_return" -> assertThat(outcome.netReturn()).as(name).isCloseTo(want.asDouble(), within(1e-9));
                case "fees" -> assertThat(outcome.fees()).as(name).isCloseTo(want.asDouble(), within(1e-9));
                case "slippage" -> assertThat(outcome.slippage()).as(name).isCloseTo(want.asDouble(), within(1e-9));
                default -> throw new AssertionError("unknown expect field " + name);
            }
        });
    }
}
