package io.quantbot.storage.daemon.testing;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;
import org.opentest4j.TestAbortedException;

class ToolRequirementTest {
    @Test
    void aMissingToolSkipsLocallyWithTheReason() {
        assertThatThrownBy(() -> ToolRequirement.require(Map.of(), false, "promtool is not installed"))
                .isInstanceOf(TestAbortedException.class).hasMessageContaining("promtool is not installed");
        assertThatThrownBy(() -> ToolRequirement.require(Map.of("CI", "false"), false, "x")).isInstanceOf(TestAbortedException.class);
    }

    @Test
    void aMissingToolFailsUnderCi() {
        for (String ci : new String[] {"true", "TRUE", "1"}) {
            assertThatThrownBy(() -> ToolRequirement.require(Map.of("CI", ci), false, "node is not installed"))
                    .isInstanceOf(AssertionError.class).isNotInstanceOf(TestAbortedException.class)
                    .hasMessageContaining("CI=true").hasMessageContaining("node is not installed");
        }
    }

    @Test
    void aPresentToolPassesEverywhere() {
        assertThatCode(() -> ToolRequirement.require(Map.of("CI", "true"), true, "x")).doesNotThrowAnyException();
        assertThatCode(() -> ToolRequirement.require(Map.of(), true, "x")).doesNotThrowAnyException();
    }

    @Test
    void onPathFindsAShellAndNotANonsenseName() {
        org.assertj.core.api.Assertions.assertThat(ToolRequirement.onPath("sh")).isTrue();
        org.assertj.core.api.Assertions.assertThat(ToolRequirement.onPath("no-such-tool-3f9c1a")).isFalse();
    }
}
