package io.quantbot.storage.daemon.logging;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.LayoutBase;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.Map;

/** One JSON object per log line: ts, level, logger, thread, msg, the MDC (request_id, method) and the error if any. */
public final class JsonLineLayout extends LayoutBase<ILoggingEvent> {
    private static final JsonFactory JSON = new JsonFactory();

    @Override
    public String doLayout(ILoggingEvent event) {
        StringWriter out = new StringWriter(256);
        try (JsonGenerator json = JSON.createGenerator(out)) {
            json.writeStartObject();
            json.writeStringField("ts", Instant.ofEpochMilli(event.getTimeStamp()).toString());
            json.writeStringField("level", event.getLevel().toString());
            json.writeStringField("logger", event.getLoggerName());
            json.writeStringField("thread", event.getThreadName());
            json.writeStringField("msg", event.getFormattedMessage());
            for (Map.Entry<String, String> entry : event.getMDCPropertyMap().entrySet()) {
                json.writeStringField(entry.getKey(), entry.getValue());
            }
            IThrowableProxy throwable = event.getThrowableProxy();
            if (throwable != null) {
                json.writeStringField("error", throwable.getClassName() + ": " + throwable.getMessage());
                json.writeStringField("stack", ThrowableProxyUtil.asString(throwable));
            }
            json.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.append('\n').toString();
    }
}
