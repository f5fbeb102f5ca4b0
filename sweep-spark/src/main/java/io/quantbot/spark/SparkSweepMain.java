package io.quantbot.spark;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The application main class for spark-submit: the sweep runner's command line with {@code --engine spark} added to
 * {@code run} (the master comes from spark-submit's {@code --master}), e.g.
 * {@code spark-submit --class io.quantbot.spark.SparkSweepMain sweep-spark.jar run SPEC.yaml --target HOST:50051}.
 */
public final class SparkSweepMain {
    private SparkSweepMain() {}

    public static void main(String[] args) {
        io.quantbot.sweep.cli.Main.main(withSparkEngine(args));
    }

    static String[] withSparkEngine(String[] args) {
        List<String> all = new ArrayList<>(Arrays.asList(args));
        boolean run = !all.isEmpty() && all.get(0).equals("run");
        boolean chosen = all.stream().anyMatch(arg -> arg.equals("--engine") || arg.startsWith("--engine="));
        if (run && !chosen) {
            all.add(1, "spark");
            all.add(1, "--engine");
        }
        return all.toArray(String[]::new);
    }
}
