package org.pgwarden.config;

/**
 * Log output to standard output (journald picks it up under systemd).
 *
 * @param format {@code text}: human-readable key=value lines; {@code json}: one JSON object per line
 */
public record LoggingConfig(Level level, Format format) {

    public enum Level { ERROR, WARN, INFO, DEBUG, TRACE }

    public enum Format { TEXT, JSON }

    static LoggingConfig bind(ConfigNode n) {
        LoggingConfig c = new LoggingConfig(n.choice("level", Level.INFO, Level.class),
                n.choice("format", Format.TEXT, Format.class));
        n.done();
        return c;
    }
}
