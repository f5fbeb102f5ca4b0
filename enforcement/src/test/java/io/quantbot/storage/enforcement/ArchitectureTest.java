package io.quantbot.storage.enforcement;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.lang.ArchRule;
import java.lang.reflect.Method;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * Every rule of {@link ArchitectureRules}, checked against the production classes of storage-daemon,
 * client-sdk and sweep-runner. One test per rule, named after it, so a single rule runs alone with
 * {@code mvn -B -pl enforcement verify -Dtest='ArchitectureTest#<rule>'}.
 */
class ArchitectureTest {
    private final JavaClasses production = ImportedClasses.production();

    @Test
    void only_storage_layer_uses_the_worker_pool() {
        ArchitectureRules.only_storage_layer_uses_the_worker_pool.check(production);
    }

    @Test
    void only_the_process_launcher_spawns_processes() {
        ArchitectureRules.only_the_process_launcher_spawns_processes.check(production);
    }

    @Test
    void worker_protocol_stays_in_the_pool() {
        ArchitectureRules.worker_protocol_stays_in_the_pool.check(production);
    }

    @Test
    void pool_calls_never_touch_spawning() {
        ArchitectureRules.pool_calls_never_touch_spawning.check(production);
    }

    @Test
    void clients_never_depend_on_the_daemon() {
        ArchitectureRules.clients_never_depend_on_the_daemon.check(production);
    }

    @Test
    void client_sdk_depends_only_on_the_api_stubs() {
        ArchitectureRules.client_sdk_depends_only_on_the_api_stubs.check(production);
    }

    @Test
    void sweep_runner_depends_only_on_the_client_and_its_libraries() {
        ArchitectureRules.sweep_runner_depends_only_on_the_client_and_its_libraries.check(production);
    }

    @Test
    void domain_never_imports_generated_proto_or_grpc() {
        ArchitectureRules.domain_never_imports_generated_proto_or_grpc.check(production);
    }

    @Test
    void only_grpc_adapters_extend_service_bases() {
        ArchitectureRules.only_grpc_adapters_extend_service_bases.check(production);
    }

    @Test
    void grpc_service_adapters_are_package_private() {
        ArchitectureRules.grpc_service_adapters_are_package_private.check(production);
    }

    @Test
    void main_lists_modules_only() {
        ArchitectureRules.main_lists_modules_only.check(production);
    }

    @Test
    void constructor_injection_only() {
        ArchitectureRules.constructor_injection_only.check(production);
    }

    @Test
    void loggers_are_private_static_final() {
        ArchitectureRules.loggers_are_private_static_final.check(production);
    }

    @Test
    void no_generic_exceptions_thrown() {
        ArchitectureRules.no_generic_exceptions_thrown.check(production);
    }

    @Test
    void no_java_util_logging() {
        ArchitectureRules.no_java_util_logging.check(production);
    }

    @Test
    void only_cli_uses_standard_streams() {
        ArchitectureRules.only_cli_uses_standard_streams.check(production);
    }

    @Test
    void domain_never_uses_jdbc() {
        ArchitectureRules.domain_never_uses_jdbc.check(production);
    }

    @Test
    void only_the_embedded_engine_uses_duckdb() {
        ArchitectureRules.only_the_embedded_engine_uses_duckdb.check(production);
    }

    @Test
    void only_the_cluster_engine_uses_pgjdbc() {
        ArchitectureRules.only_the_cluster_engine_uses_pgjdbc.check(production);
    }

    @Test
    void only_the_iceberg_lake_uses_iceberg() {
        ArchitectureRules.only_the_iceberg_lake_uses_iceberg.check(production);
    }

    @Test
    void engine_adapters_do_not_depend_on_each_other() {
        ArchitectureRules.engine_adapters_do_not_depend_on_each_other.check(production);
    }

    @Test
    void edges_reach_storage_through_ports() {
        ArchitectureRules.edges_reach_storage_through_ports.check(production);
    }

    /** A rule added to ArchitectureRules without a test here would never be checked against production. */
    @Test
    void every_rule_is_checked_here() {
        assertThat(Arrays.stream(ArchitectureTest.class.getDeclaredMethods()).map(Method::getName))
                .containsAll(RuleFields.all().keySet());
    }

    /** Guards the import itself: a rule over an empty or wrong class set would pass for nothing. */
    @Test
    void production_import_covers_every_module_and_nothing_else() {
        assertThat(production.contain("io.quantbot.storage.daemon.Main")).as("storage-daemon").isTrue();
        assertThat(production.contain("io.quantbot.storage.daemon.grpc.StatePortService")).as("daemon grpc").isTrue();
        assertThat(production.contain("io.quantbot.storage.client.QuantbotStorageClient")).as("client-sdk").isTrue();
        assertThat(production.contain("io.quantbot.sweep.cli.Main")).as("sweep-runner").isTrue();
        assertThat(production.contain("io.quantbot.spark.SparkSweepEngine")).as("sweep-spark").isTrue();

        assertThat(production.stream().map(JavaClass::getName))
                .as("no fixtures, no test classes, no generated code among the production classes")
                .noneMatch(name -> name.startsWith(ArchitectureRules.FIXTURES))
                .noneMatch(name -> name.startsWith("io.quantbot.storage.daemon.testing."))
                .noneMatch(name -> name.endsWith("Test"))
                .noneMatch(name -> name.startsWith("io.quantbot.storage.v1."))
                .noneMatch(name -> name.startsWith("io.quantbot.storage.worker.v1."));
    }

    /**
     * ArchUnit's archRule.failOnEmptyShould must stay on: a rule whose subject matches no production class (a
     * misspelled package, a moved module) then fails instead of passing for nothing.
     */
    @Test
    void a_rule_that_checks_nothing_fails() {
        ArchRule overNothing = noClasses().that().resideInAPackage("io.quantbot.nowhere..")
                .should().dependOnClassesThat().resideInAPackage("java..");

        assertThatThrownBy(() -> overNothing.check(production))
                .isInstanceOf(AssertionError.class)
                .hasMessageContaining("failed to check any classes");
    }

    @Test
    void rules_follow_the_house_style() {
        assertThat(RuleFields.all()).isNotEmpty();
        RuleFields.all().forEach((name, rule) -> {
            assertThat(name).as("rule field names are snake_case").matches("[a-z][a-z0-9]*(_[a-z0-9]+)+");
            assertThat(rule.getDescription()).as("%s has a because(...)", name).contains(", because ");
        });
    }
}
