package io.quantbot.storage.daemon.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** docs/operations.md lists every key with its default and environment variable. */
class ConfigurationDocTest {
    @Test
    void everyKeyIsDocumented() throws Exception {
        String doc = Files.readString(Path.of("..", "docs", "operations.md"));
        for (ConfigProperty<?> property : DaemonConfiguration.properties()) {
            String defaultValue = property.defaultValue().isEmpty() ? "(empty)" : property.defaultValue();
            assertThat(doc).as("docs/operations.md row for %s", property.key())
                    .contains("| `" + property.key() + "` | `" + defaultValue + "` | `" + property.environmentVariable() + "` |");
        }
    }
}
