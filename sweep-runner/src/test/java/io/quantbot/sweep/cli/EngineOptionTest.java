package io.quantbot.sweep.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.quantbot.sweep.remote.SweepListener;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** {@code run --engine}: without sweep-spark on the classpath the runner says exactly what to do, before any call. */
class EngineOptionTest {
    private static final String SPEC = Path.of("examples", "demo-sweep.yaml").toString();

    @Test
    void spark_absent_from_the_classpath_is_bad_usage_with_the_command_that_works() {
        TestCommands.Outcome outcome = TestCommands.execute(SweepListener.NONE, "run", SPEC, "--engine", "spark",
                "--master", "local[2]", "--target", "127.0.0.1:1");
        assertThat(outcome.code()).isEqualTo(ExitCodes.BAD_USAGE);
        assertThat(outcome.err()).contains("the Spark engine is not on the classpath")
                .contains("sweep-spark/target/spark-classpath.txt").contains("io.quantbot.spark.SparkSweepMain")
                .doesNotContain("cannot reach");
    }

    @Test
    void spark_options_without_the_spark_engine_and_unknown_engines_are_bad_usage() {
        TestCommands.Outcome master = TestCommands.execute(SweepListener.NONE, "run", SPEC, "--master", "local[2]",
                "--target", "127.0.0.1:1");
        assertThat(master.code()).isEqualTo(ExitCodes.BAD_USAGE);
        assertThat(master.err()).contains("need --engine spark");
        TestCommands.Outcome unknown = TestCommands.execute(SweepListener.NONE, "run", SPEC, "--engine", "flink",
                "--target", "127.0.0.1:1");
        assertThat(unknown.code()).isEqualTo(ExitCodes.BAD_USAGE);
        assertThat(unknown.err()).contains("--engine flink: unknown engine");
    }
}
