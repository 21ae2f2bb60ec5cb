package org.pgwarden.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import org.pgwarden.common.RetryPolicy;
import org.pgwarden.common.SecretRef;

/**
 * The PostgreSQL cluster pgwarden looks after.
 *
 * @param dataDirectory the cluster's PGDATA; must equal the server's {@code data_directory}
 * @param binDirectory  where {@code initdb}, {@code pg_ctl} and {@code postgres} live (drills, demo)
 */
public record PostgresConfig(
        Path dataDirectory,
        Optional<Path> binDirectory,
        Connection connection,
        Pool pool,
        RetryPolicy retry) {

    /**
     * How to reach the server. {@code socket} (a directory such as {@code /var/run/postgresql})
     * takes precedence over {@code host}.
     */
    public record Connection(
            String host,
            Optional<Path> socket,
            int port,
            String user,
            String database,
            Optional<SecretRef> password,
            Duration connectTimeout,
            Duration statementTimeout,
            String applicationName) {

        /** {@code host:port} or the socket directory, for messages. */
        public String describeEndpoint() {
            return socket.map(s -> s + " (socket, port " + port + ")").orElse(host + ":" + port);
        }
    }

    /** HikariCP limits; the pool is small because pgwarden's jobs are few and long. */
    public record Pool(int maxSize, int minIdle, Duration connectionTimeout, Duration idleTimeout, Duration maxLifetime) {
    }

    static PostgresConfig bind(ConfigNode n) {
        Path data = n.path("data-directory", null, true);
        Optional<Path> bin = Optional.ofNullable(n.path("bin-directory", null, false));

        ConfigNode c = n.section("connection");
        Connection connection = new Connection(
                c.string("host", "localhost"),
                Optional.ofNullable(c.path("socket", null, false)),
                c.integer("port", 5432, 1, 65535),
                c.string("user", "postgres"),
                c.string("database", "postgres"),
                c.secret("password"),
                c.duration("connect-timeout", Duration.ofSeconds(10), Duration.ofSeconds(1)),
                c.duration("statement-timeout", Duration.ofMinutes(5), Duration.ofSeconds(1)),
                c.string("application-name", "pgwarden"));
        c.done();

        ConfigNode p = n.section("pool");
        Pool pool = new Pool(
                p.integer("max-size", 4, 1, 64),
                p.integer("min-idle", 0, 0, 64),
                p.duration("connection-timeout", Duration.ofSeconds(30), Duration.ofMillis(250)),
                p.duration("idle-timeout", Duration.ofMinutes(10), Duration.ofSeconds(10)),
                p.duration("max-lifetime", Duration.ofMinutes(30), Duration.ofSeconds(30)));
        if (pool.minIdle() > pool.maxSize()) {
            p.problem("min-idle", "must not exceed max-size (" + pool.maxSize() + "), got " + pool.minIdle());
        }
        p.done();

        RetryPolicy retry = bindRetry(n.section("retry"));
        n.done();
        return new PostgresConfig(data, bin, connection, pool, retry);
    }

    /** A bounded retry section: {@code max-attempts}, {@code initial-delay}, {@code max-delay}. */
    static RetryPolicy bindRetry(ConfigNode r) {
        int attempts = r.integer("max-attempts", 5, 1, 20);
        Duration initial = r.duration("initial-delay", Duration.ofMillis(500));
        Duration max = r.duration("max-delay", Duration.ofSeconds(30));
        r.done();
        if (initial != null && max != null && max.compareTo(initial) < 0) {
            r.problem("max-delay", "must not be shorter than initial-delay");
            return new RetryPolicy(attempts, initial, initial, 2.0);
        }
        return new RetryPolicy(attempts, initial == null ? Duration.ZERO : initial, max == null
                ? Duration.ZERO : max, 2.0);
    }
}
