package org.pgwarden.app;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.Configurator;
import java.util.ServiceLoader;
import org.junit.jupiter.api.Test;

/** The logging a command starts with, before its configuration file is read. */
class BootstrapLoggingTest {
    private static final String PROPERTY = "logback.configurationFile";

    @Test
    void logbackFindsItAndItSetsUpStandardErrorWithoutAnXmlFile() {
        assertThat(ServiceLoader.load(Configurator.class)).anyMatch(c -> c instanceof BootstrapLogging);
        assertThat(BootstrapLogging.class.getResource("/logback.xml")).isNull();

        String tests = System.clearProperty(PROPERTY);
        try {
            LoggerContext ctx = new LoggerContext();
            BootstrapLogging bootstrap = new BootstrapLogging();
            bootstrap.setContext(ctx);
            assertThat(bootstrap.configure(ctx)).isEqualTo(Configurator.ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY);
            assertThat(ctx.getLogger("org.pgwarden").getLevel()).isEqualTo(Level.INFO);
            assertThat(ctx.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME).getLevel()).isEqualTo(Level.WARN);
            assertThat(ctx.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME).getAppender("STDERR")).isNotNull();
            ctx.stop();
        } finally {
            if (tests != null) {
                System.setProperty(PROPERTY, tests);
            }
        }
    }

    @Test
    void anExplicitConfigurationFileTakesPrecedence() {
        String before = System.setProperty(PROPERTY, "elsewhere.xml");
        try {
            LoggerContext ctx = new LoggerContext();
            BootstrapLogging bootstrap = new BootstrapLogging();
            bootstrap.setContext(ctx);
            assertThat(bootstrap.configure(ctx)).isEqualTo(Configurator.ExecutionStatus.INVOKE_NEXT_IF_ANY);
            assertThat(ctx.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME).getAppender("STDERR")).isNull();
        } finally {
            if (before == null) {
                System.clearProperty(PROPERTY);
            } else {
                System.setProperty(PROPERTY, before);
            }
        }
    }
}
