package io.quantbot.sweep.remote;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.quantbot.sweep.meta.SweepMetadata;
import io.quantbot.sweep.spec.EntryRule;
import io.quantbot.sweep.spec.Overlay;
import io.quantbot.sweep.spec.Scenario;
import io.quantbot.sweep.spec.SweepSpec;
import java.util.List;

/** The JSON object stored as each run's params_json: everything that defines the scenario, for the record and for reports. */
final class RunParams {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final SweepSpec spec;
    private final String alertsArtifactId;
    private final SweepMetadata metadata;

    RunParams(SweepSpec spec, String alertsArtifactId, SweepMetadata metadata) {
        this.spec = requireNonNull(spec, "spec is null");
        this.alertsArtifactId = requireNonNull(alertsArtifactId, "alertsArtifactId is null");
        this.metadata = requireNonNull(metadata, "metadata is null");
    }

    /** The JSON object stored as the run's params_json: everything that defines the scenario. */
    String of(Scenario scenario) {
        ObjectNode params = JSON.createObjectNode();
        params.put("sweep_id", spec.sweepId());
        params.put("scenario_id", scenario.id());
        params.put("interval", scenario.interval().label());
        params.put("lag_ms", scenario.lagMillis());
        ObjectNode overlaySet = params.putObject("overlay_set");
        overlaySet.put("name", scenario.overlaySet().name());
        ArrayNode overlays = overlaySet.putArray("overlays");
        for (Overlay overlay : scenario.overlaySet().overlays()) {
            ObjectNode node = overlays.addObject();
            node.put("type", overlay.type());
            if (overlay instanceof Overlay.TakeProfit takeProfit) {
                node.put("pct", takeProfit.pct());
            }
            else if (overlay instanceof Overlay.StopLoss stopLoss) {
                node.put("pct", stopLoss.pct());
            }
            else if (overlay instanceof Overlay.TrailingStop trailing) {
                node.put("pct", trailing.pct());
            }
            else if (overlay instanceof Overlay.TimeExit timeExit) {
                node.put("after_ms", timeExit.afterMillis());
            }
            else if (overlay instanceof Overlay.TakeProfitLadder ladder) {
                legs(node, ladder.legs());
            }
            else if (overlay instanceof Overlay.StopLadder ladder) {
                legs(node, ladder.legs());
            }
        }
        ObjectNode entry = params.putObject("entry");
        entry.put("rule", spec.entryRule().kind().label());
        if (spec.entryRule().kind() == EntryRule.Kind.LIMIT) {
            entry.put("tolerance_pct", spec.entryRule().tolerancePct());
            entry.put("window_ms", spec.entryRule().windowMillis());
        }
        params.put("taker_fee_bps", spec.takerFeeBps());
        params.put("slippage_bps", spec.slippageBps());
        params.put("notional_usd", spec.notionalUsd());
        params.put("time_frame_ms", spec.timeFrameMillis());
        params.put("chunk_rows", spec.chunkRows());
        params.put("calls", spec.calls().describe());
        params.put("calls_artifact_id", alertsArtifactId);
        params.set("metadata", metadata.toJson());
        return params.toString();
    }

    private static void legs(ObjectNode node, List<Overlay.Leg> legs) {
        ArrayNode levels = node.putArray("levels");
        for (Overlay.Leg leg : legs) {
            levels.addObject().put("pct", leg.pct()).put("fraction", leg.fraction());
        }
    }
}
