package io.quantbot.sweep.e2e;

import io.quantbot.storage.client.QuantbotStorageClient;
import io.quantbot.storage.v1.Artifact;
import io.quantbot.storage.v1.ArtifactView;
import io.quantbot.storage.v1.ListArtifactsRequest;
import io.quantbot.storage.v1.QueryRequest;
import io.quantbot.storage.v1.ResultFormat;
import io.quantbot.storage.v1.Run;
import io.quantbot.sweep.cli.TestCommands;
import io.quantbot.sweep.remote.SweepListener;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** Helpers of the end-to-end tests: run the CLI in process, look at what the daemon holds. */
final class Sweeps {
    private Sweeps() {}

    record Result(int code, String out, String err) {}

    static Result run(SweepListener listener, String... args) {
        TestCommands.Outcome outcome = TestCommands.execute(listener, args);
        return new Result(outcome.code(), outcome.out(), outcome.err());
    }

    static Result run(String... args) {
        return run(SweepListener.NONE, args);
    }

    static Path writeSpec(Path folder, String name, String yaml) throws Exception {
        Files.createDirectories(folder);
        Path file = folder.resolve(name + ".yaml");
        Files.writeString(file, yaml);
        return file;
    }

    static List<Run> runs(QuantbotStorageClient client, String sweepId) {
        return client.artifacts().listRuns(sweepId).toList();
    }

    /** The sweep's sealed run_results artifacts. */
    static List<Artifact> sealed(QuantbotStorageClient client, String sweepId) {
        return client.artifacts().listArtifacts(ListArtifactsRequest.newBuilder()
                .setType("run_results")
                .putTags("sweep_id", sweepId)
                .setPageSize(1_000)
                .build()).toList();
    }

    /** One JSON row of a read-only query over the sweep's sealed results (view {@code r}). */
    static String queryResults(QuantbotStorageClient client, String sweepId, String sql) {
        List<String> ids = sealed(client, sweepId).stream().map(Artifact::getId).toList();
        return client.artifacts().query(QueryRequest.newBuilder()
                .setSql(sql)
                .addViews(ArtifactView.newBuilder().setName("r").addAllArtifactIds(ids))
                .setFormat(ResultFormat.RESULT_FORMAT_JSON)
                .build()).getJsonRows();
    }

    /** Copies a folder tree (the repository's examples into a test's own folder). */
    static void copyTree(Path from, Path to) throws java.io.IOException {
        try (java.util.stream.Stream<Path> walk = Files.walk(from)) {
            for (Path source : walk.toList()) {
                Path destination = to.resolve(from.relativize(source).toString());
                if (Files.isDirectory(source)) {
                    Files.createDirectories(destination);
                } else {
                    Files.copy(source, destination);
                }
            }
        }
    }
}
