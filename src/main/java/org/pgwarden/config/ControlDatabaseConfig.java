package org.pgwarden.config;

import java.time.Duration;
import java.util.Optional;
import org.pgwarden.common.SecretRef;

/**
 * An optional PostgreSQL database where the daemon keeps its job history (schema
 * {@code pgwarden}, created and migrated at start). It is history, never needed for a restore:
 * when it is down, jobs run and the history stays in memory.
 *
 * @param url      {@code jdbc:postgresql://host:port/database}; credentials never in the URL
 * @param password a secret reference ({@code env:NAME} or {@code file:/path})
 */
public record ControlDatabaseConfig(String url, String user, Optional<SecretRef> password, Duration connectTimeout) {

    /** Empty when the section is absent. */
    static Optional<ControlDatabaseConfig> bind(ConfigNode n, boolean present) {
        if (!present) {
            n.done();
            return Optional.empty();
        }
        String url = n.requiredString("url");
        if (url != null && !url.startsWith("jdbc:postgresql://")) {
            n.problem("url", "expected a PostgreSQL JDBC URL such as 'jdbc:postgresql://db.example:5432/pgwarden'");
        } else if (url != null && (url.contains("password=") || url.matches("jdbc:postgresql://[^/]*@.*"))) {
            // Never echo the URL here: it holds a credential.
            n.problem("url", "must not carry credentials; give 'user' and a 'password' reference instead");
        }
        String user = n.string("user", "pgwarden");
        Optional<SecretRef> password = n.secret("password");
        Duration connectTimeout = n.duration("connect-timeout", Duration.ofSeconds(5), Duration.ofSeconds(1));
        n.done();
        return Optional.of(new ControlDatabaseConfig(url, user, password, connectTimeout));
    }
}
