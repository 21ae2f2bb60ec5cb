package org.pgwarden.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.pgwarden.testing.Distribution;
import org.pgwarden.testing.Http;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** README's first command: the demo comes up, serves metrics and health, and cleans up on stop. */
class DemoIT {
    @TempDir
    Path parent;

    @Test
    void demoServesMetricsAndReadinessThenRemovesEverything() throws Exception {
        // The cluster runs as the postgres OS user when tests run as root: it must traverse this directory.
        Files.setPosixFilePermissions(parent, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
        try (Distribution demo = Distribution.start(Map.of(), List.of("demo", "--work-dir", parent.toString()))) {
            String workLine = demo.awaitLine(l -> l.startsWith("pgwarden demo: work directory "), Duration.ofSeconds(60));
            Path work = Path.of(workLine.substring("pgwarden demo: work directory ".length()));
            demo.awaitLine(l -> l.startsWith("Press Ctrl-C"), Duration.ofSeconds(90));
            assertThat(demo.transcript()).contains("✔ connect to PostgreSQL").contains("all checks passed");
            String curl = demo.transcript().lines().filter(l -> l.contains("curl ") && l.endsWith("/metrics"))
                    .findFirst().orElseThrow();
            String metricsUrl = curl.substring(curl.indexOf("http://"));
            Http.Reply metrics = Http.get(metricsUrl);
            assertThat(metrics.status()).isEqualTo(200);
            assertThat(metrics.body()).contains("pgwarden_build_info{");
            assertThat(Http.get(metricsUrl.replace("/metrics", "/health/ready")).status()).isEqualTo(200);
            Path clusterDir;
            try (var entries = Files.list(work)) {
                clusterDir = entries.filter(p -> p.getFileName().toString().startsWith("pgwarden-pg-")).findFirst()
                        .orElseThrow();
            }
            long postmaster = Long.parseLong(Files.readAllLines(clusterDir.resolve("data/postmaster.pid")).get(0).trim());

            assertThat(demo.terminate(Duration.ofSeconds(30))).as(demo.transcript()).isZero();
            assertThat(demo.transcript()).contains("demo stopped and removed");
            assertThat(work).doesNotExist();
            assertThat(ProcessHandle.of(postmaster).map(ProcessHandle::isAlive).orElse(false))
                    .as("postmaster %d is gone", postmaster).isFalse();
        }
    }
}
