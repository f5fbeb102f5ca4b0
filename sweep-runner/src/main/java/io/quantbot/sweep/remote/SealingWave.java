package io.quantbot.sweep.remote;

import io.quantbot.storage.v1.SealMode;
import io.quantbot.sweep.results.ScenarioResults;
import java.util.List;
import java.util.concurrent.CompletionService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The runs of one interval: all but the last finish with DEFER; when the last of those is done, the held-back
 * scenario is uploaded and finishes with SWEEP, which seals every finished, unsealed run of the sweep. Seals of
 * two waves may overlap: the daemon claims each run before sealing it, so none is sealed twice, and every run is
 * finished before its own wave's seal, so each is sealed by that seal or an earlier one.
 */
final class SealingWave {
    private static final Logger log = LoggerFactory.getLogger(SealingWave.class);

    private final List<ScenarioResults> runs;
    private final CompletionService<ScenarioOutcome> done;
    private final ScenarioUploader uploads;
    private final AtomicInteger pending;

    SealingWave(List<ScenarioResults> runs, CompletionService<ScenarioOutcome> done, ScenarioUploader uploads) {
        this.runs = runs;
        this.done = done;
        this.uploads = uploads;
        this.pending = new AtomicInteger(runs.size() - 1);
    }

    void start() {
        if (runs.size() == 1) {
            submitSeal();
            return;
        }
        for (ScenarioResults run : runs.subList(0, runs.size() - 1)) {
            done.submit(() -> {
                try {
                    return uploads.upload(run, SealMode.SEAL_MODE_DEFER);
                }
                finally {
                    if (pending.decrementAndGet() == 0) {
                        submitSeal();
                    }
                }
            });
        }
    }

    private void submitSeal() {
        ScenarioResults held = runs.get(runs.size() - 1);
        try {
            done.submit(() -> {
                return uploads.upload(held, SealMode.SEAL_MODE_SWEEP);
            });
        }
        catch (RejectedExecutionException stopping) {
            // The sweep is stopping and its uploaders are shut down: the held scenario is left for a resume.
            log.debug("not uploading {}: the sweep is stopping", held.scenario().id());
        }
    }
}
