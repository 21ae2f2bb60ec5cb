package org.pgwarden.config;

/** Configuration texts the tests build on. */
public final class ConfigTexts {
    /** The least a valid configuration holds: stanza, cluster, repository and key; tests append sections. */
    public static final String MINIMAL = """
            stanza: main
            postgres:
              data-directory: /var/lib/postgresql/15/main
            repository:
              type: filesystem
              filesystem:
                path: /var/lib/pgwarden/repository
            encryption:
              provider: local
              local:
                key-file: /etc/pgwarden/repository.key
            """;

    private ConfigTexts() {
    }
}
