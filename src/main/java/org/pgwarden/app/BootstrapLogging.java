package org.pgwarden.app;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.Configurator;
import ch.qos.logback.core.spi.ContextAwareBase;
import org.pgwarden.config.LoggingConfig;

/**
 * Logging from the first line on, until a command applies {@code logging.*} from its
 * configuration file: info lines of pgwarden and warnings of libraries on standard error, in the
 * text format, secrets masked ({@link LoggingSetup}). Set up in code because logback's default
 * reads and interprets an XML configuration at every start, about a tenth of a second of each
 * command's start-up. Found by logback through {@code META-INF/services}; the system property
 * {@code logback.configurationFile} (the tests set it) still takes precedence.
 */
public final class BootstrapLogging extends ContextAwareBase implements Configurator {
    @Override
    public ExecutionStatus configure(LoggerContext context) {
        if (System.getProperty("logback.configurationFile") != null) {
            return ExecutionStatus.INVOKE_NEXT_IF_ANY;
        }
        LoggingSetup.configure(context, new LoggingConfig(LoggingConfig.Level.INFO, LoggingConfig.Format.TEXT));
        return ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY;
    }
}
