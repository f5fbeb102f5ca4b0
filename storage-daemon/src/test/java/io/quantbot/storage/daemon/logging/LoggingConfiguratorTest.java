package io.quantbot.storage.daemon.logging;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.PatternLayout;
import ch.qos.logback.classic.spi.LoggingEvent;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

class LoggingConfiguratorTest {
    @Test
    void aHostileMessageCannotPutControlFormatOrNoncharactersIntoATextLogLine() {
        LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
        PatternLayout layout = new PatternLayout();
        layout.setContext(context);
        layout.setPattern(LoggingConfigurator.TEXT_PATTERN);
        layout.start();
        String hostile = "sweep_id 'a\u0000b\u0007c\u001b[2Jd\u202Ee\u200Bf\uFFFEg\uFDD0h' must match\ttab";
        LoggingEvent event = new LoggingEvent("test", context.getLogger("access"), Level.INFO, hostile, null, null);
        String line = layout.doLayout(event);
        assertThat(line).endsWith("sweep_id 'a?b?c?[2Jd?e?f?g?h' must match\ttab" + System.lineSeparator());
        assertThat(line.chars().filter(c -> c < 0x20 && c != '\t' && c != '\n' && c != '\r')).isEmpty();
    }
}
