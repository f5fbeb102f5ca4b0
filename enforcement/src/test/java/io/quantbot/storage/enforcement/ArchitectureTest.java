package io.quantbot.storage.enforcement;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.lang.ArchRule;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/** Every rule of {@link ArchitectureRules}, checked against the production classes of every module. */
class ArchitectureTest {
    @TestFactory
    Stream<DynamicTest> production_code_follows_every_rule() {
        JavaClasses production = ImportedClasses.production();
        return RuleFields.all().entrySet().stream()
                .map(rule -> DynamicTest.dynamicTest(rule.getKey(), () -> rule.getValue().check(production)));
    }

    /** Guards the import itself: a rule over an empty or wrong class set would pass for nothing. */
    @Test
    void production_import_covers_every_module_and_nothing_else() {
        JavaClasses production = ImportedClasses.production();

        assertThat(production.contain("io.quantbot.storage.daemon.Main")).as("storage-daemon").isTrue();
        assertThat(production.contain("io.quantbot.storage.daemon.grpc.StatePortService")).as("daemon grpc").isTrue();
        assertThat(production.contain("io.quantbot.storage.client.QuantbotStorageClient")).as("client-sdk").isTrue();
        assertThat(production.contain("io.quantbot.sweep.cli.Main")).as("sweep-runner").isTrue();

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

        assertThatThrownBy(() -> overNothing.check(ImportedClasses.production()))
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
