package org.pgwarden.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.pgwarden.adapter.process.LocalCluster;
import org.pgwarden.adapter.process.PgBinaries;
import org.pgwarden.crypto.LocalKeyFileWrapper;

/**
 * A complete configuration file for a daemon against a test cluster: a filesystem repository and
 * a generated local key in {@code dir}. {@code extraYaml} is appended verbatim (other sections).
 */
public final class DaemonSetup {
    private DaemonSetup() {
    }

    public static Path createConfig(Path dir, LocalCluster cluster, int port, String extraYaml) throws IOException {
        Path repository = Files.createDirectories(dir.resolve("repository"));
        Path key = dir.resolve("repository.key");
        if (!Files.exists(key)) {
            LocalKeyFileWrapper.generateKeyFile(key);
        }
        String yaml = """
                stanza: test
                postgres:
                  data-directory: %s
                  bin-directory: %s
                  connection:
                    host: 127.0.0.1
                    port: %d
                    connect-timeout: 2s
                  retry:
                    max-attempts: 2
                    initial-delay: 50ms
                    max-delay: 100ms
                repository:
                  type: filesystem
                  filesystem:
                    path: %s
                encryption:
                  provider: local
                  local:
                    key-file: %s
                """.formatted(cluster.dataDirectory(),
                cluster.binaries().path(PgBinaries.Program.POSTGRES).getParent(), port, repository, key)
                + extraYaml;
        if (!extraYaml.startsWith("wal:") && !extraYaml.contains("\nwal:")) {
            // Each test daemon gets its own WAL socket, never the shared default under /run.
            yaml += "wal:\n  socket: " + dir.resolve("wal.sock") + "\n";
        }
        Path file = dir.resolve("pgwarden.yaml");
        Files.writeString(file, yaml, StandardCharsets.UTF_8);
        return file;
    }

    public static Path createConfig(Path dir, LocalCluster cluster, String extraYaml) throws IOException {
        return createConfig(dir, cluster, cluster.port(), extraYaml);
    }
}
