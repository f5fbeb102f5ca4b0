package io.quantbot.storage.daemon.logging;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.encoder.LayoutWrappingEncoder;
import io.quantbot.storage.daemon.config.LoggingConfig;
import org.slf4j.LoggerFactory;
import org.slf4j.bridge.SLF4JBridgeHandler;

/** Sets up logging from the configuration: everything to stderr (stdout carries data only), text or JSON lines. */
public final class LoggingConfigurator {
    /**
     * Characters a client can put into a message (an echoed bad name, a status description) that must not reach
     * a log line raw: C0 controls but tab and newline, DEL, format (bidi, zero-width), surrogates, private use
     * and noncharacters. They become '?', so a hostile input can neither reorder what an operator reads nor make
     * the log unparseable for the tools that collect it (an XML test report, a terminal).
     */
    static final String UNSAFE_IN_LOGS = "[\\x00-\\x08\\x0B\\x0C\\x0E-\\x1F\\x7F]|\\p{Cf}|\\p{Cs}|\\p{Co}|[\\uFDD0-\\uFDEF\\uFFFE\\uFFFF]";
    static final String TEXT_PATTERN = "%d{yyyy-MM-dd'T'HH:mm:ss.SSSXXX,UTC} %-5level [%thread] %logger{36}%replace( [%X{request_id}]){' \\[\\]', ''} - %replace(%msg){'"
            + UNSAFE_IN_LOGS + "', '?'}%n";

    private LoggingConfigurator() {}

    public static void configure(LoggingConfig config) {
        LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
        context.reset();
        ConsoleAppender<ILoggingEvent> console = new ConsoleAppender<>();
        console.setContext(context);
        console.setName("stderr");
        console.setTarget("System.err");
        if (config.format() == LoggingConfig.Format.JSON) {
            JsonLineLayout layout = new JsonLineLayout();
            layout.setContext(context);
            layout.start();
            LayoutWrappingEncoder<ILoggingEvent> encoder = new LayoutWrappingEncoder<>();
            encoder.setContext(context);
            encoder.setLayout(layout);
            encoder.start();
            console.setEncoder(encoder);
        } else {
            PatternLayoutEncoder encoder = new PatternLayoutEncoder();
            encoder.setContext(context);
            encoder.setPattern(TEXT_PATTERN);
            encoder.start();
            console.setEncoder(encoder);
        }
        console.start();
        Logger root = context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        root.addAppender(console);
        root.setLevel(Level.toLevel(config.level(), Level.INFO));
        // Netty and gRPC are chatty at debug; keep them at info unless asked for trace.
        if (!config.level().equals("trace")) {
            context.getLogger("io.grpc.netty").setLevel(Level.INFO);
        }
        SLF4JBridgeHandler.removeHandlersForRootLogger();
        SLF4JBridgeHandler.install();
    }
}
