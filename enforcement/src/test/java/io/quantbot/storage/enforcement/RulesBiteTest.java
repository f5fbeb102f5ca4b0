package io.quantbot.storage.enforcement;

import static org.assertj.core.api.Assertions.assertThat;

import com.tngtech.archunit.core.domain.Dependency;
import com.tngtech.archunit.core.domain.JavaAccess;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.domain.JavaMember;
import com.tngtech.archunit.lang.ArchRule;
import com.tngtech.archunit.lang.EvaluationResult;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * A rule nobody has seen fail is not a rule: every rule of {@link ArchitectureRules} is evaluated against
 * the fixtures and must report exactly the fixture classes listed here, and none of the ones it must spare.
 * The failure reports are written to {@code target/rule-failures/<rule>.txt} (docs/enforcement.md quotes them).
 */
class RulesBiteTest {
    /** Expected outcome per rule, by fixture class name relative to {@link ArchitectureRules#FIXTURES}. */
    private record Expectation(Set<String> reports, Set<String> spares) {}

    private static final Map<String, Expectation> EXPECTATIONS = Map.ofEntries(
            Map.entry("only_storage_layer_uses_the_worker_pool", new Expectation(
                    Set.of("daemon.grpc.BadAdapterUsingPool", "daemon.candles.CandleServiceUsingPool"),
                    Set.of("daemon.storage.StorageLayerUsingPool", "daemon.storage.pyworker.ProcessWorkerPool"))),
            Map.entry("only_the_process_launcher_spawns_processes", new Expectation(
                    Set.of("sweep.SweepSpawningPython",
                            "sweep.SweepPreparingProcesses",
                            "daemon.storage.pyworker.PoolExecingPython",
                            "daemon.server.WorkerProcessLauncher"),
                    Set.of("daemon.storage.pyworker.WorkerProcessLauncher",
                            "daemon.storage.pyworker.WorkerProcessLauncher$Fallback"))),
            Map.entry("worker_protocol_stays_in_the_pool", new Expectation(
                    Set.of("daemon.storage.duckdb.DuckDbReadingWorkerFrames", "sweep.SweepSpeakingWorkerProtocol"),
                    Set.of("daemon.storage.pyworker.PythonWorkerPool", "daemon.storage.pyworker.ProcessWorkerPool"))),
            Map.entry("pool_calls_never_touch_spawning", new Expectation(
                    Set.of("daemon.storage.pyworker.CallDispatcher"),
                    Set.of("daemon.storage.pyworker.WorkerSupervisor", "daemon.storage.pyworker.ProcessWorkerPool"))),
            Map.entry("clients_never_depend_on_the_daemon", new Expectation(
                    Set.of("client.ClientOpeningDuckDb",
                            "sweep.SweepUsingDaemonState",
                            "sweep.SweepSpeakingWorkerProtocol"),
                    Set.of("client.ClientUsingStubs", "sweep.SweepUsingClientSdk"))),
            Map.entry("client_sdk_depends_only_on_the_api_stubs", new Expectation(
                    Set.of("client.ClientOpeningDuckDb"),
                    Set.of("client.ClientUsingStubs"))),
            Map.entry("sweep_runner_depends_only_on_the_client_and_its_libraries", new Expectation(
                    Set.of("sweep.SweepUsingDaemonState",
                            "sweep.SweepSpeakingWorkerProtocol",
                            "sweep.SweepUsingGrpcDirectly"),
                    Set.of("sweep.SweepUsingClientSdk", "sweep.SweepSpawningPython", "sweep.cli.Main"))),
            Map.entry("domain_never_imports_generated_proto_or_grpc", new Expectation(
                    Set.of("daemon.state.StateMapperInDomain",
                            "daemon.run.RunServiceThrowingStatus",
                            "daemon.artifact.ArtifactServiceUsingByteString",
                            "daemon.candles.CandleServiceUsingPool"),
                    Set.of("daemon.state.CleanStateService"))),
            Map.entry("only_grpc_adapters_extend_service_bases", new Expectation(
                    Set.of("daemon.server.StatePortInServer"),
                    Set.of("daemon.grpc.StatePortAdapter", "daemon.grpc.PublicArtifactPortAdapter"))),
            Map.entry("grpc_service_adapters_are_package_private", new Expectation(
                    Set.of("daemon.grpc.PublicArtifactPortAdapter"),
                    Set.of("daemon.grpc.StatePortAdapter"))),
            Map.entry("main_lists_modules_only", new Expectation(
                    Set.of("daemon.Main"),
                    Set.of("sweep.cli.Main"))),
            Map.entry("constructor_injection_only", new Expectation(
                    Set.of("daemon.server.FieldInjectedServer", "daemon.storage.duckdb.SetterInjectedRepository"),
                    Set.of("daemon.state.CleanStateService", "daemon.grpc.StatePortAdapter"))),
            Map.entry("loggers_are_private_static_final", new Expectation(
                    Set.of("daemon.metrics.InstanceLogger", "sweep.SweepWithPublicLogger"),
                    Set.of("daemon.state.CleanStateService", "client.ClientUsingStubs"))),
            Map.entry("no_generic_exceptions_thrown", new Expectation(
                    Set.of("daemon.state.StateServiceThrowingRuntimeException",
                            "client.ClientThrowingException",
                            "sweep.SweepThrowingError"),
                    Set.of("daemon.run.RunServiceThrowingStatus", "sweep.SweepSpawningPython"))),
            Map.entry("no_java_util_logging", new Expectation(
                    Set.of("daemon.metrics.JulLogging"),
                    Set.of("daemon.logging.JulBridgeSetup", "daemon.metrics.InstanceLogger"))),
            Map.entry("domain_never_uses_jdbc", new Expectation(
                    Set.of("daemon.run.RunLedgerUsingJdbc", "daemon.info.InfoReadingJdbc"),
                    Set.of("daemon.storage.duckdb.JdbcRepository", "daemon.storage.postgres.PgRepository", "daemon.state.CleanStateService"))),
            Map.entry("only_the_embedded_engine_uses_duckdb", new Expectation(
                    Set.of("client.ClientOpeningDuckDb", "daemon.grpc.AdapterOpeningDuckDb"),
                    Set.of("daemon.storage.duckdb.JdbcRepository"))),
            Map.entry("only_the_cluster_engine_uses_pgjdbc", new Expectation(
                    Set.of("daemon.grpc.AdapterUsingPgJdbc"),
                    Set.of("daemon.storage.postgres.PgRepository"))),
            Map.entry("only_the_iceberg_lake_uses_iceberg", new Expectation(
                    Set.of("daemon.storage.postgres.CatalogUsingIceberg"),
                    Set.of("daemon.storage.iceberg.LakeUsingIceberg"))),
            Map.entry("engine_adapters_do_not_depend_on_each_other", new Expectation(
                    Set.of("daemon.storage.pyworker.PoolUsingDuckDbRepository", "daemon.storage.postgres.CatalogUsingDuckDbRepository"),
                    Set.of("daemon.storage.duckdb.JdbcRepository", "daemon.storage.postgres.PgRepository",
                            "daemon.storage.StorageLayerUsingPool"))),
            Map.entry("edges_reach_storage_through_ports", new Expectation(
                    Set.of("daemon.server.OpsServerUsingDuckDbBackup", "daemon.server.OpsServerUsingPostgres", "daemon.grpc.BadAdapterUsingPool"),
                    Set.of("daemon.cli.PrintingCommand", "daemon.storage.StorageLayerUsingPool"))),
            Map.entry("only_cli_uses_standard_streams", new Expectation(
                    Set.of("daemon.server.PrintingServer", "sweep.output.TablePrintingToStdout"),
                    Set.of("daemon.cli.PrintingCommand", "sweep.cli.Main"))));

    @Test
    void every_rule_has_fixtures() {
        assertThat(EXPECTATIONS.keySet()).containsExactlyInAnyOrderElementsOf(RuleFields.all().keySet());
    }

    @TestFactory
    Stream<DynamicTest> each_rule_reports_exactly_its_fixtures() {
        JavaClasses fixtures = ImportedClasses.fixtures();
        return RuleFields.all().entrySet().stream()
                .filter(rule -> EXPECTATIONS.containsKey(rule.getKey()))
                .map(rule -> DynamicTest.dynamicTest(rule.getKey(), () -> {
                    Expectation expected = EXPECTATIONS.get(rule.getKey());
                    EvaluationResult result = rule.getValue().evaluate(fixtures);
                    writeReport(rule.getKey(), result);

                    assertThat(expected.reports()).as("a rule must be seen failing").isNotEmpty();
                    for (String spared : expected.spares()) {
                        assertThat(fixtures.contain(ArchitectureRules.FIXTURES + "." + spared))
                                .as("fixture %s exists", spared)
                                .isTrue();
                    }
                    Set<String> reported = violatingClasses(result);
                    assertThat(reported)
                            .as("%s reports exactly these fixtures:%n%s", rule.getKey(), result.getFailureReport())
                            .containsExactlyInAnyOrderElementsOf(expected.reports());
                    assertThat(reported).doesNotContainAnyElementsOf(expected.spares());
                }));
    }

    /** The fixture classes (nested classes folded into their top-level class) behind every violation. */
    private static Set<String> violatingClasses(EvaluationResult result) {
        Set<String> classes = new TreeSet<>();
        result.handleViolations((Collection<Object> objects, String message) -> {
            for (Object object : objects) {
                classes.add(relativeName(owningClass(object)));
            }
        }, new Object[0]);
        return classes;
    }

    private static JavaClass owningClass(Object violation) {
        if (violation instanceof JavaClass javaClass) {
            return javaClass;
        }
        if (violation instanceof Dependency dependency) {
            return dependency.getOriginClass();
        }
        if (violation instanceof JavaAccess<?> access) {
            return access.getOriginOwner();
        }
        if (violation instanceof JavaMember member) {
            return member.getOwner();
        }
        throw new IllegalStateException("unexpected violation object " + violation.getClass() + ": " + violation);
    }

    private static String relativeName(JavaClass javaClass) {
        String name = javaClass.getName();
        assertThat(name).startsWith(ArchitectureRules.FIXTURES + ".");
        String relative = name.substring(ArchitectureRules.FIXTURES.length() + 1);
        int nested = relative.indexOf('$');
        return nested < 0 ? relative : relative.substring(0, nested);
    }

    private static void writeReport(String rule, EvaluationResult result) {
        Path directory = Path.of("target", "rule-failures");
        try {
            Files.createDirectories(directory);
            List<String> lines = result.getFailureReport().toString().lines().toList();
            Files.write(directory.resolve(rule + ".txt"), lines, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
