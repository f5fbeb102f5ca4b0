package io.quantbot.sweep.remote;

import static java.util.Objects.requireNonNull;

import io.quantbot.sweep.results.ScenarioResults;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The runs of one seal wave, uploaded as a batch: one BatchCreateRuns for all of them (on the control pool), then one
 * AppendRunRows stream per run (on the upload pool, up to --upload-streams at once), then, once every stream is done,
 * one BatchFinishRuns (DEFER) and one BatchSet of checkpoints for all but the wave's last run, and that last run's
 * FinishRun with SWEEP, which seals every finished, unsealed run of the sweep. Seals of two waves may overlap: the
 * daemon claims each run before sealing it, so none is sealed twice, and every run is finished before its own wave's
 * seal, so each is sealed by that seal or an earlier one.
 *
 * <p>Every scenario of the wave ends as one outcome reported through the uploader; a failure that ends the sweep (the
 * daemon lost, an interrupt) is handed to {@code failures} instead.
 */
final class WaveUpload {
    private static final Logger log = LoggerFactory.getLogger(WaveUpload.class);

    private final List<ScenarioUploader.Upload> uploads;
    private final ScenarioUploader uploader;
    private final ExecutorService control;
    private final ExecutorService streams;
    private final Consumer<Throwable> failures;
    private final AtomicInteger streaming = new AtomicInteger();

    WaveUpload(List<ScenarioResults> runs, ScenarioUploader uploader, ExecutorService control, ExecutorService streams,
            Consumer<Throwable> failures) {
        this.uploads = runs.stream().map(ScenarioUploader.Upload::new).toList();
        this.uploader = requireNonNull(uploader, "uploader is null");
        this.control = requireNonNull(control, "control is null");
        this.streams = requireNonNull(streams, "streams is null");
        this.failures = requireNonNull(failures, "failures is null");
    }

    void start() {
        submit(control, () -> {
            uploader.createRuns(uploads);
            streaming.set(uploads.size());
            for (ScenarioUploader.Upload upload : uploads) {
                submit(streams, () -> {
                    try {
                        uploader.sendRows(upload);
                    }
                    finally {
                        if (streaming.decrementAndGet() == 0) {
                            submit(control, this::finish);
                        }
                    }
                });
            }
        });
    }

    private void finish() throws InterruptedException {
        // The wave's seal goes with its last run that still needs a finish (none: its runs were all finished before).
        Optional<ScenarioUploader.Upload> sealer = Optional.empty();
        for (ScenarioUploader.Upload upload : uploads) {
            if (upload.toFinish()) {
                sealer = Optional.of(upload);
            }
        }
        uploader.finishAll(uploads, sealer);
    }

    private interface Step {
        void run() throws Exception;
    }

    private void submit(ExecutorService pool, Step step) {
        try {
            pool.execute(() -> {
                try {
                    step.run();
                }
                catch (InterruptedException stopped) {
                    // The sweep is stopping: what is not finished yet is left for a resume.
                    log.debug("wave stopped: {}", stopped.getMessage());
                    failures.accept(stopped);
                }
                catch (Throwable failure) {
                    failures.accept(failure);
                }
            });
        }
        catch (RejectedExecutionException stopping) {
            // The sweep is stopping and its pools are shut down: the rest of the wave is left for a resume.
            log.debug("not continuing a wave: the sweep is stopping");
        }
    }
}
