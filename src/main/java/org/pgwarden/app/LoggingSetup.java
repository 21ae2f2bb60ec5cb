package org.pgwarden.app;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.JsonEncoder;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.encoder.Encoder;
import ch.qos.logback.core.encoder.EncoderBase;
import java.nio.charset.StandardCharsets;
import org.pgwarden.common.Secret;
import org.pgwarden.config.LoggingConfig;
import org.slf4j.LoggerFactory;

/**
 * Applies {@code logging.*}: level and format (key=value text or JSON lines) on standard error,
 * so command output on standard out stays clean and journald still gets both. Every encoded line
 * passes through {@link Secret#maskAll}.
 */
final class LoggingSetup {
    static final String TEXT_PATTERN = "ts=%d{yyyy-MM-dd'T'HH:mm:ss.SSS'Z',UTC} level=%level logger=%logger{0}"
            + "%replace( stanza=%X{stanza}){' stanza=$',''}%replace( job=%X{job}){' job=$',''}"
            + "%replace( runId=%X{runId}){' runId=$',''} msg=\"%replace(%msg){'\"','\\\\\"'}\"%n%ex{full}";

    static final String[] WIRE_LOGGERS = {"org.apache.http.wire", "org.apache.http.headers",
        "org.apache.hc.client5.http.wire", "org.apache.hc.client5.http.headers", "software.amazon.awssdk.request",
        "software.amazon.awssdk.requestId", "io.netty.handler.logging"};

    private LoggingSetup() {
    }

    static void apply(LoggingConfig config) {
        if (LoggerFactory.getILoggerFactory() instanceof LoggerContext ctx) {
            configure(ctx, config);
        }
    }

    /** Replaces whatever {@code ctx} was configured with; also the bootstrap ({@link BootstrapLogging}). */
    static void configure(LoggerContext ctx, LoggingConfig config) {
        ctx.reset();
        Encoder<ILoggingEvent> inner;
        if (config.format() == LoggingConfig.Format.JSON) {
            JsonEncoder json = new JsonEncoder();
            json.setContext(ctx);
            // One self-contained object per line: the formatted message, not a template and arguments.
            json.setWithFormattedMessage(true);
            json.setWithMessage(false);
            json.setWithArguments(false);
            json.setWithContext(false);
            json.setWithSequenceNumber(false);
            json.setWithNanoseconds(false);
            json.start();
            inner = json;
        } else {
            PatternLayoutEncoder text = new PatternLayoutEncoder();
            text.setContext(ctx);
            text.setPattern(TEXT_PATTERN);
            text.setCharset(StandardCharsets.UTF_8);
            text.start();
            inner = text;
        }
        MaskingEncoder masking = new MaskingEncoder(inner);
        masking.setContext(ctx);
        masking.start();

        ConsoleAppender<ILoggingEvent> appender = new ConsoleAppender<>();
        appender.setContext(ctx);
        appender.setName("STDERR");
        appender.setTarget("System.err");
        appender.setEncoder(masking);
        appender.start();

        Logger root = ctx.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        root.addAppender(appender);
        Level level = Level.toLevel(config.level().name(), Level.INFO);
        ctx.getLogger("org.pgwarden").setLevel(level);
        // Libraries stay quieter than our own code unless debugging is asked for.
        root.setLevel(level.isGreaterOrEqual(Level.INFO) ? Level.WARN : level);
        ctx.getLogger("org.quartz").setLevel(level.isGreaterOrEqual(Level.INFO) ? Level.WARN : level);
        // Wire and header dumps would print KMS responses (clear data keys) and request bodies:
        // never, whatever the level asked for.
        for (String wire : WIRE_LOGGERS) {
            ctx.getLogger(wire).setLevel(Level.OFF);
        }
    }

    /** Masks resolved secrets in whatever the wrapped encoder produced. */
    static final class MaskingEncoder extends EncoderBase<ILoggingEvent> {
        private final Encoder<ILoggingEvent> inner;

        MaskingEncoder(Encoder<ILoggingEvent> inner) {
            this.inner = inner;
        }

        @Override
        public byte[] headerBytes() {
            return mask(inner.headerBytes());
        }

        @Override
        public byte[] encode(ILoggingEvent event) {
            return mask(inner.encode(event));
        }

        @Override
        public byte[] footerBytes() {
            return mask(inner.footerBytes());
        }

        private static byte[] mask(byte[] bytes) {
            if (bytes == null || bytes.length == 0) {
                return bytes;
            }
            String s = new String(bytes, StandardCharsets.UTF_8);
            String m = Secret.maskAll(s);
            return m == s ? bytes : m.getBytes(StandardCharsets.UTF_8);
        }
    }
}
