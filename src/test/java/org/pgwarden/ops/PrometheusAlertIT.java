package org.pgwarden.ops;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pgwarden.testing.BackupSetup;
import org.pgwarden.testing.CliRun;
import org.pgwarden.testing.Distribution;
import org.pgwarden.testing.Http;

/**
 * The shipped alert rules in a real Prometheus server, scraping a real daemon: a backup taken by
 * the CLI (not by the daemon) is read from the repository when the daemon starts, and the
 * backup-age alerts fire once that backup is older than the threshold. The test copies the rules
 * and replaces only the two default age limits (26 h and 7 d 14 h, which apply when the daemon has
 * no backup schedule) by a few seconds.
 */
class PrometheusAlertIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String RUNBOOK_BASE = "https://github.com/pgwarden/pgwarden/blob/main/runbooks/";
    /** Time Prometheus and the daemon get to start and scrape before the backup becomes "too old". */
    private static final long HEADROOM_SECONDS = 12;

    @TempDir
    Path dir;

    @Test
    void backupAgeAlertsFireWhenTheNewestBackupIsOlderThanTheThreshold() throws Exception {
        Path root = OpsFixture.repoRoot();
        Path prometheusBinary = OpsFixture.requireTool("prometheus");
        try (BackupSetup setup = BackupSetup.start(dir, Map.of(),
                "admin:\n  listen: 127.0.0.1:0\ndaemon:\n  shutdown-grace: 5s\n")) {
            assertThat(setup.cli("stanza-create").exitCode()).isZero();
            CliRun backup = setup.cli("backup", "--type", "full");
            assertThat(backup.exitCode()).as(backup.all()).isZero();
            Instant stop = Instant.parse(newestBackup(setup).path("stopTime").asText());

            try (Distribution daemon = Distribution.start(Map.of(), List.of("--config", setup.config().toString(),
                    "daemon"))) {
                String line = daemon.awaitLine(l -> l.startsWith("pgwarden daemon running; metrics at "),
                        Duration.ofSeconds(60));
                String target = line.substring(line.indexOf("http://") + "http://".length(), line.indexOf("/metrics"));

                long threshold = Duration.between(stop, Instant.now()).toSeconds() + HEADROOM_SECONDS;
                Path rules = givenRulesWithBackupAgeThreshold(root, threshold);
                try (Prometheus prometheus = Prometheus.start(prometheusBinary, dir.resolve("prometheus"), rules,
                        target)) {
                    // The daemon read the backup from the repository: the gauge holds its stop time.
                    JsonNode gauge = prometheus.awaitQuery(
                            "pgwarden_backup_last_success_timestamp_seconds{type=\"full\",stanza=\"test\"}",
                            r -> r.size() == 1, Duration.ofSeconds(20));
                    assertThat(gauge.get(0).path("value").get(1).asDouble())
                            .isCloseTo(stop.toEpochMilli() / 1000.0, org.assertj.core.data.Offset.offset(0.01));
                    assertThat(Duration.between(stop, Instant.now()).toSeconds())
                            .as("the backup must still be younger than the threshold here").isLessThan(threshold);
                    assertThat(firing(prometheus.alerts(), "PgwardenIncrementalBackupTooOld")).isEmpty();

                    JsonNode alerts = prometheus.awaitAlerts(a -> firing(a, "PgwardenIncrementalBackupTooOld").size() == 1
                            && firing(a, "PgwardenFullBackupTooOld").size() == 1, Duration.ofSeconds(threshold + 20));
                    assertThat(Duration.between(stop, Instant.now()).toSeconds()).isGreaterThanOrEqualTo(threshold);
                    for (String name : List.of("PgwardenIncrementalBackupTooOld", "PgwardenFullBackupTooOld")) {
                        JsonNode alert = firing(alerts, name).get(0);
                        assertThat(alert.path("labels").path("stanza").asText()).isEqualTo("test");
                        assertThat(alert.path("labels").path("instance").asText()).isEqualTo(target);
                        assertThat(alert.path("labels").path("severity").asText()).isIn("critical", "warning");
                        assertThat(alert.path("annotations").path("summary").asText()).contains("stanza 'test'");
                        assertThat(alert.path("annotations").path("runbook_url").asText())
                                .isEqualTo(RUNBOOK_BASE + name + ".md");
                        assertThat(alert.path("value").asDouble()).isGreaterThan(threshold);
                    }
                    // Nothing else is wrong with this daemon.
                    List<String> allFiring = new ArrayList<>();
                    alerts.forEach(a -> {
                        if (a.path("state").asText().equals("firing")) {
                            allFiring.add(a.path("labels").path("alertname").asText());
                        }
                    });
                    assertThat(allFiring).containsOnly("PgwardenIncrementalBackupTooOld", "PgwardenFullBackupTooOld");
                }
                assertThat(daemon.terminate(Duration.ofSeconds(20))).as(daemon.transcript()).isZero();
            }
        }
    }

    private static JsonNode newestBackup(BackupSetup setup) throws IOException {
        CliRun info = setup.cli("info", "--output", "json");
        assertThat(info.exitCode()).as(info.all()).isZero();
        JsonNode backups = JSON.readTree(info.out()).path("backups");
        assertThat(backups.size()).isEqualTo(1);
        return backups.get(0);
    }

    /** The shipped rules with the backup-age thresholds (and only those) replaced. */
    private Path givenRulesWithBackupAgeThreshold(Path root, long seconds) throws IOException {
        String rules = Files.readString(root.resolve("alerts/pgwarden.rules.yml"));
        for (String shipped : List.of("(pgwarden_build_info) * 0 + 93600", "(pgwarden_build_info) * 0 + 655200")) {
            assertThat(rules).as("the shipped rules hold the default the test replaces").containsOnlyOnce(shipped);
            rules = rules.replace(shipped, shipped.substring(0, shipped.lastIndexOf('+') + 2) + seconds);
        }
        Path copy = dir.resolve("pgwarden.rules.yml");
        Files.writeString(copy, rules);
        return copy;
    }

    private static List<JsonNode> firing(JsonNode alerts, String name) {
        List<JsonNode> out = new ArrayList<>();
        alerts.forEach(a -> {
            if (a.path("labels").path("alertname").asText().equals(name) && a.path("state").asText().equals("firing")) {
                out.add(a);
            }
        });
        return out;
    }

    /** A Prometheus server on loopback with its own storage; always killed on close. */
    private static final class Prometheus implements AutoCloseable {
        private final Process process;
        private final Path log;
        private final String url;
        private final Thread killer;

        private Prometheus(Process process, Path log, String url) {
            this.process = process;
            this.log = log;
            this.url = url;
            // Also when the test JVM is stopped early (a timeout, Ctrl-C) rather than closing this.
            this.killer = new Thread(process::destroyForcibly, "kill-prometheus");
            Runtime.getRuntime().addShutdownHook(killer);
        }

        static Prometheus start(Path binary, Path dir, Path rules, String target) throws Exception {
            Files.createDirectories(dir);
            int port;
            try (ServerSocket s = new ServerSocket(0)) {
                port = s.getLocalPort();
            }
            Path config = dir.resolve("prometheus.yml");
            Files.writeString(config, """
                    global:
                      scrape_interval: 1s
                      scrape_timeout: 1s
                      evaluation_interval: 1s
                    rule_files:
                      - %s
                    scrape_configs:
                      - job_name: pgwarden
                        static_configs:
                          - targets: ['%s']
                    """.formatted(rules, target));
            Path log = dir.resolve("prometheus.log");
            Process p = new ProcessBuilder(binary.toString(), "--config.file=" + config,
                    "--storage.tsdb.path=" + dir.resolve("data"), "--web.listen-address=127.0.0.1:" + port,
                    "--log.level=warn")
                    .redirectErrorStream(true).redirectOutput(log.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
            Prometheus prometheus = new Prometheus(p, log, "http://127.0.0.1:" + port);
            try {
                prometheus.awaitReady();
                return prometheus;
            } catch (RuntimeException | Error e) {
                prometheus.close();
                throw e;
            }
        }

        private void awaitReady() throws InterruptedException {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (System.nanoTime() < deadline) {
                if (!process.isAlive()) {
                    throw new AssertionError("prometheus exited with " + process.exitValue() + ":\n" + log());
                }
                try {
                    if (Http.get(url + "/-/ready").status() == 200) {
                        return;
                    }
                } catch (AssertionError notListeningYet) {
                    // connection refused until it listens
                }
                TimeUnit.MILLISECONDS.sleep(100);
            }
            throw new AssertionError("prometheus not ready within 20s:\n" + log());
        }

        JsonNode query(String promql) {
            return data(url + "/api/v1/query?query=" + URLEncoder.encode(promql, StandardCharsets.UTF_8))
                    .path("result");
        }

        JsonNode alerts() {
            return data(url + "/api/v1/alerts").path("alerts");
        }

        JsonNode awaitQuery(String promql, Predicate<JsonNode> wanted, Duration timeout) throws InterruptedException {
            return await(() -> query(promql), wanted, timeout, "query '" + promql + "'");
        }

        JsonNode awaitAlerts(Predicate<JsonNode> wanted, Duration timeout) throws InterruptedException {
            return await(this::alerts, wanted, timeout, "alerts");
        }

        private JsonNode await(java.util.function.Supplier<JsonNode> read, Predicate<JsonNode> wanted,
                Duration timeout, String what) throws InterruptedException {
            long deadline = System.nanoTime() + timeout.toNanos();
            JsonNode last = read.get();
            while (!wanted.test(last)) {
                if (System.nanoTime() > deadline) {
                    throw new AssertionError(what + " not as expected within " + timeout.toSeconds() + "s; last: "
                            + last + "\nprometheus log:\n" + log());
                }
                TimeUnit.MILLISECONDS.sleep(250);
                last = read.get();
            }
            return last;
        }

        private JsonNode data(String request) {
            Http.Reply reply = Http.get(request);
            assertThat(reply.status()).as("GET %s: %s", request, reply.body()).isEqualTo(200);
            try {
                JsonNode body = JSON.readTree(reply.body());
                assertThat(body.path("status").asText()).as(reply.body()).isEqualTo("success");
                return body.path("data");
            } catch (IOException e) {
                throw new AssertionError("not JSON from " + request + ": " + reply.body(), e);
            }
        }

        private String log() {
            try {
                return Files.readString(log);
            } catch (IOException e) {
                return "(no log: " + e + ")";
            }
        }

        @Override
        public void close() {
            process.destroy();
            try {
                if (!process.waitFor(10, TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                    process.waitFor(10, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                process.destroyForcibly();
                Thread.currentThread().interrupt();
            } finally {
                try {
                    Runtime.getRuntime().removeShutdownHook(killer);
                } catch (IllegalStateException shuttingDown) {
                    // the hook runs anyway
                }
            }
        }
    }
}
