package org.pgwarden.app;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.pgwarden.handover.HandOverClient;
import org.pgwarden.testing.BackupSetup;
import org.pgwarden.testing.CliRun;
import org.pgwarden.testing.Distribution;
import org.pgwarden.testing.Http;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * The admin API of a daemon run as systemd runs it (the launcher, as the postgres OS user),
 * against a real cluster archiving into a filesystem repository; the cluster doubles as the
 * control database for the job history.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class AdminApiIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String TOKEN = "it-token-6f1d2c3b4a5e6f708192a3b4";

    @TempDir
    static Path dir;
    static BackupSetup setup;
    static Distribution daemon;
    static String api;

    @BeforeAll
    static void startClusterAndDaemon() throws Exception {
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path token = givenTokenFile(dir.resolve("admin.token"), "rw-------");
        int port = freePort();
        setup = BackupSetup.start(dir, Map.of(), """
                admin:
                  listen: 127.0.0.1:%d
                  token-file: %s
                daemon:
                  shutdown-grace: 10s
                schedules:
                  health-check: "0 0 0 * * ?"
                """.formatted(port, token));
        Files.writeString(setup.config(), """
                control-database:
                  url: jdbc:postgresql://127.0.0.1:%d/postgres
                  user: postgres
                  connect-timeout: 2s
                """.formatted(setup.pg().cluster().port()), StandardCharsets.UTF_8, StandardOpenOption.APPEND);
        // As the daemon's user, so that the daemon may add to what stanza-create writes.
        try (Distribution create = Distribution.startAsPostgres(Map.of(), List.of("--config",
                setup.config().toString(), "stanza-create"))) {
            assertThat(create.waitFor(Duration.ofSeconds(60))).as(create.transcript()).isZero();
        }
        api = "http://127.0.0.1:" + port + "/api/v1";
        startDaemon();
    }

    static void startDaemon() throws Exception {
        daemon = Distribution.startAsPostgres(Map.of(), List.of("--config", setup.config().toString(), "daemon"));
        daemon.awaitLine(l -> l.contains("metrics at http://"), Duration.ofSeconds(60));
    }

    @AfterAll
    static void stop() {
        if (daemon != null) {
            daemon.close();
        }
        if (setup != null) {
            setup.close();
        }
    }

    private static Path givenTokenFile(Path file, String mode) throws IOException {
        Files.writeString(file, TOKEN + "\n", StandardCharsets.UTF_8);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString(mode));
        BackupSetup.givePostgres(file);
        return file;
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private static JsonNode json(String body) throws IOException {
        return JSON.readTree(body);
    }

    /** POSTs a job and returns its id, checking the 202 and the Location. */
    private static String trigger(String body) throws IOException {
        Http.Reply r = Http.send("POST", api + "/jobs", TOKEN, body);
        assertThat(r.status()).as(r.body()).isEqualTo(202);
        String id = json(r.body()).path("id").asText();
        assertThat(r.location()).isEqualTo("/api/v1/jobs/" + id);
        return id;
    }

    /** Polls GET /jobs/{id} until the run has ended. */
    private static JsonNode awaitEnd(String id) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
        while (true) {
            Http.Reply r = Http.send("GET", api + "/jobs/" + id, TOKEN, null);
            assertThat(r.status()).as(r.body()).isEqualTo(200);
            JsonNode job = json(r.body());
            if (!job.path("end").isNull()) {
                return job;
            }
            assertThat(System.nanoTime()).as("job %s ended in time; last: %s", id, r.body()).isLessThan(deadline);
            Thread.sleep(200);
        }
    }

    @Test
    @Order(1)
    void aRequestWithoutTheRightTokenGets401WithNoDetail() throws Exception {
        for (String token : new String[]{null, "wrong-token-0000000000000000", TOKEN + "x"}) {
            Http.Reply post = Http.send("POST", api + "/jobs", token, "{\"kind\":\"backup\",\"type\":\"full\"}");
            assertThat(post.status()).isEqualTo(401);
            assertThat(post.body()).isEqualTo("{\"error\":\"unauthorized\"}");
            assertThat(Http.send("GET", api + "/jobs", token, null).status()).isEqualTo(401);
        }
        assertThat(Http.send("GET", api + "/backups", TOKEN, null).status()).isEqualTo(200);
        String metrics = Http.get(api.replace("/api/v1", "/metrics")).body();
        assertThat(metrics).containsPattern(
                "pgwarden_admin_api_requests_total\\{method=\"POST\",stanza=\"test\",status=\"401\"\\} 3");
        String log = daemon.transcript();
        assertThat(log).contains("admin API request refused: no bearer token")
                .contains("admin API request refused: wrong bearer token").doesNotContain(TOKEN)
                .doesNotContain("wrong-token-0000000000000000");
        // No job ran: nothing was triggered by the refused requests.
        assertThat(json(Http.send("GET", api + "/jobs", TOKEN, null).body()).path("jobs").toString())
                .doesNotContain("backup-full");
    }

    @Test
    @Order(2)
    void badRequestsGet400SayingWhatWasExpected() throws Exception {
        Http.Reply unknown = Http.send("POST", api + "/jobs", TOKEN, "{\"kind\":\"vacuum\"}");
        assertThat(unknown.status()).isEqualTo(400);
        assertThat(json(unknown.body()).path("error").asText())
                .isEqualTo("unknown job kind 'vacuum'; valid kinds: backup, verify, expire, drill, maintenance,"
                        + " audit-retention, restore");
        assertThat(json(unknown.body()).path("validKinds").toString())
                .isEqualTo("[\"backup\",\"verify\",\"expire\",\"drill\",\"maintenance\",\"audit-retention\","
                        + "\"restore\"]");

        // Every usage-class error code is a 400, such as a maintenance window that is not configured.
        Http.Reply noWindow = Http.send("POST", api + "/jobs", TOKEN, "{\"kind\":\"maintenance\",\"window\":\"nightly\"}");
        assertThat(noWindow.status()).isEqualTo(400);
        assertThat(noWindow.body()).contains("PGW110").contains("no maintenance window named 'nightly'");

        Http.Reply malformed = Http.send("POST", api + "/jobs", TOKEN, "{\"kind\":");
        assertThat(malformed.status()).isEqualTo(400);
        assertThat(json(malformed.body()).path("error").asText()).startsWith("request body is not valid JSON")
                .contains("expected an object such as {\"kind\":\"backup\",\"type\":\"full\"}");

        Http.Reply noKind = Http.send("POST", api + "/jobs", TOKEN, "[1]");
        assertThat(noKind.status()).isEqualTo(400);
        assertThat(json(noKind.body()).path("error").asText()).startsWith("expected a JSON object");

        Http.Reply badType = Http.send("POST", api + "/jobs", TOKEN, "{\"kind\":\"backup\",\"type\":\"huge\"}");
        assertThat(badType.status()).isEqualTo(400);
        assertThat(json(badType.body()).path("error").asText()).contains("expected full, incr or diff");

        assertThat(Http.send("GET", api + "/jobs/20261124T020000Z-ffff", TOKEN, null).status()).isEqualTo(404);
        assertThat(Http.send("GET", api + "/jobs/20261124T020000Z-ffff?wait=1000", TOKEN, null).status())
                .isEqualTo(404);
        Http.Reply badWait = Http.send("GET", api + "/jobs/20261124T020000Z-ffff?wait=1h", TOKEN, null);
        assertThat(badWait.status()).isEqualTo(400);
        assertThat(json(badWait.body()).path("error").asText()).isEqualTo("query parameter 'wait' is '1h'; expected"
                + " milliseconds from 0 to 20000");
        assertThat(Http.send("DELETE", api + "/jobs", TOKEN, null).status()).isEqualTo(405);
    }

    @Test
    @Order(3)
    void aBackupTriggeredThroughTheApiRunsToCompletionAndIsListed() throws Exception {
        String id = trigger("{\"kind\":\"backup\",\"type\":\"full\"}");
        // asked to wait, the daemon answers when the run ends (or, on a very slow machine, at the limit)
        long asked = System.nanoTime();
        Http.Reply waited = Http.send("GET", api + "/jobs/" + id + "?wait=20000", TOKEN, null);
        assertThat(waited.status()).as(waited.body()).isEqualTo(200);
        if (json(waited.body()).path("end").isNull()) {
            assertThat(Duration.ofNanos(System.nanoTime() - asked)).as(waited.body())
                    .isGreaterThanOrEqualTo(Duration.ofSeconds(20));
        }
        JsonNode job = awaitEnd(id);
        assertThat(job.path("status").asText()).as(job.toString()).isEqualTo("succeeded");
        assertThat(job.path("kind").asText()).isEqualTo("backup-full");
        assertThat(job.path("trigger").asText()).isEqualTo("api");
        assertThat(job.path("bytes").asLong()).isPositive();
        String label = job.path("message").asText().split(" ")[1];

        JsonNode backups = json(Http.send("GET", api + "/backups", TOKEN, null).body());
        assertThat(backups.path("formatVersion").asInt()).isEqualTo(1);
        assertThat(backups.path("backups").findValuesAsText("label")).contains(label);
        assertThat(backups.path("backups").get(0).path("type").asText()).isEqualTo("full");
        // The same document as 'info --output json'.
        CliRun infoRun = setup.cli("info", "--output", "json");
        assertThat(infoRun.exitCode()).as(infoRun.all()).isZero();
        JsonNode info = json(infoRun.out());
        assertThat(backups.path("backups")).isEqualTo(info.path("backups"));

        // The repository gauges are read back from the repository after the run (and its expire).
        java.util.regex.Pattern fullCounted = java.util.regex.Pattern.compile(
                "(?m)^pgwarden_repository_backups\\{[^}]*type=\"full\"[^}]*\\} [1-9]");
        String scrape = "";
        for (long deadline = System.nanoTime() + 30_000_000_000L; System.nanoTime() < deadline; Thread.sleep(200)) {
            scrape = Http.get(api.replace("/api/v1", "/metrics")).body();
            if (fullCounted.matcher(scrape).find()) {
                break;
            }
        }
        assertThat(scrape).containsPattern(fullCounted)
                .containsPattern("(?m)^pgwarden_repository_size_bytes\\{[^}]*what=\"backups\"[^}]*\\} [1-9]")
                .contains("pgwarden_repository_oldest_recovery_point_timestamp_seconds");
    }

    @Test
    @Order(4)
    void concurrentBackupTriggersSerializeAndBothSucceed() throws Exception {
        List<CompletableFuture<String>> posts = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            posts.add(CompletableFuture.supplyAsync(() -> {
                try {
                    return trigger("{\"kind\":\"backup\",\"type\":\"incr\"}");
                } catch (IOException e) {
                    throw new AssertionError(e);
                }
            }));
        }
        String first = posts.get(0).get();
        String second = posts.get(1).get();
        Instant bothAccepted = Instant.now();
        JsonNode a = awaitEnd(first);
        JsonNode b = awaitEnd(second);
        assertThat(a.path("status").asText()).as(a.toString()).isEqualTo("succeeded");
        assertThat(b.path("status").asText()).as(b.toString()).isEqualTo("succeeded");
        Instant aStart = Instant.parse(a.path("start").asText());
        Instant aEnd = Instant.parse(a.path("end").asText());
        Instant bStart = Instant.parse(b.path("start").asText());
        Instant bEnd = Instant.parse(b.path("end").asText());
        assertThat(!aEnd.isAfter(bStart) || !bEnd.isAfter(aStart))
                .as("runs do not overlap: %s..%s and %s..%s", aStart, aEnd, bStart, bEnd).isTrue();
        // Both were accepted while the earlier one still ran: the later one waited for the lock.
        Instant earlierEnd = aStart.isBefore(bStart) ? aEnd : bEnd;
        assertThat(bothAccepted).as("accepted before %s", earlierEnd).isBefore(earlierEnd);
        JsonNode backups = json(Http.send("GET", api + "/backups", TOKEN, null).body());
        assertThat(backups.path("backups").findValuesAsText("type")).containsExactly("full", "incr", "incr");
    }

    @Test
    @Order(5)
    void triggerBackupWaitFromTheCommandLineExits0AndJobsListsIt() {
        CliRun run = setup.cli("trigger", "backup", "--type", "full", "--wait", "--timeout", "2m");
        assertThat(run.exitCode()).as(run.all()).isZero();
        assertThat(run.out()).contains("accepted by the daemon").contains("succeeded");
        String id = run.out().lines().findFirst().orElseThrow().split(" ")[1];

        CliRun jobs = setup.cli("jobs");
        assertThat(jobs.exitCode()).as(jobs.all()).isZero();
        assertThat(jobs.out()).contains(id).contains("backup-full").contains("succeeded");
        CliRun one = setup.cli("jobs", id);
        assertThat(one.out()).contains("status: succeeded").contains("trigger: api");

        CliRun expire = setup.cli("trigger", "expire", "--wait");
        assertThat(expire.exitCode()).as(expire.all()).isZero();
        assertThat(setup.cli("jobs").out()).containsPattern("expire +succeeded|expire.*succeeded");
    }

    @Test
    @Order(6)
    void jobHistoryIsInTheControlDatabaseAndMigrationsAreIdempotentAcrossRestarts() throws Exception {
        String id = trigger("{\"kind\":\"verify\"}");
        JsonNode verify = awaitEnd(id);
        assertThat(verify.path("status").asText()).as(verify.toString()).isEqualTo("succeeded");
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (setup.pg().queryLong("SELECT count(*) FROM pgwarden.job_history WHERE run_id = '" + id + "'") == 0) {
            assertThat(System.nanoTime()).as("run %s stored in time", id).isLessThan(deadline);
            Thread.sleep(100);
        }
        assertThat(setup.pg().queryString("SELECT kind || '/' || trigger || '/' || status || '/' || stanza"
                + " FROM pgwarden.job_history WHERE run_id = '" + id + "'")).isEqualTo("verify/api/succeeded/test");
        assertThat(setup.pg().queryLong("SELECT count(*) FROM pgwarden.job_history WHERE kind LIKE 'backup-%'"
                + " AND status = 'succeeded' AND trigger = 'api'")).isEqualTo(4);
        assertThat(daemon.transcript()).contains("schema 'pgwarden' at version 1 (1 migration(s) applied now)");

        assertThat(daemon.terminate(Duration.ofSeconds(30))).isIn(0, 143);
        startDaemon();
        assertThat(daemon.transcript()).contains("schema 'pgwarden' at version 1 (0 migration(s) applied now)");
        assertThat(setup.pg().queryLong("SELECT count(*) FROM pgwarden.flyway_schema_history"
                + " WHERE version = '1' AND success")).isEqualTo(1);
        // A run from before the restart, read back from the control database.
        Http.Reply again = Http.send("GET", api + "/jobs/" + id, TOKEN, null);
        assertThat(again.status()).as(again.body()).isEqualTo(200);
        assertThat(json(again.body()).path("kind").asText()).isEqualTo("verify");
    }

    @Test
    @Order(7)
    void aTokenFileOthersCanReadIsRefusedAtStart() throws Exception {
        Path open = givenTokenFile(dir.resolve("open.token"), "rw-r--r--");
        Path config = dir.resolve("open.yaml");
        Files.writeString(config, Files.readString(setup.config())
                .replaceAll("token-file: .*", "token-file: " + open)
                .replaceAll("listen: 127.0.0.1:\\d+", "listen: 127.0.0.1:0"));
        try (Distribution refused = Distribution.startAsPostgres(Map.of(), List.of("--config", config.toString(),
                "daemon"))) {
            assertThat(refused.waitFor(Duration.ofSeconds(60))).isEqualTo(2);
            assertThat(refused.transcript()).contains("[PGW071] admin token file '" + open
                    + "' has mode 0644; it must be 0600 or stricter").contains("chmod 600 " + open)
                    .doesNotContain("daemon running").doesNotContain(TOKEN);
        }
    }

    @Test
    @Order(8)
    void theReadmeCurlExamplesWork() throws Exception {
        String readme = Files.readString(Path.of("README.md"));
        String section = readme.substring(readme.indexOf("\n## Admin API\n"));
        int start = section.indexOf("```sh\nTOKEN=");
        String script = section.substring(start + "```sh\n".length(), section.indexOf("```", start + 5));
        int port = Integer.parseInt(api.replaceAll(".*:(\\d+)/.*", "$1"));
        script = script.replace("/etc/pgwarden/admin.token", dir.resolve("admin.token").toString())
                .replace("127.0.0.1:9816", "127.0.0.1:" + port);
        Process p = new ProcessBuilder("bash", "-euo", "pipefail", "-c", script).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor()).as(out).isZero();
        assertThat(out).contains("\"formatVersion\":1").contains("\"location\":\"/api/v1/jobs/")
                .contains("{\"jobs\":[");
        String id = out.replaceAll("(?s).*\"location\":\"/api/v1/jobs/([^\"]+)\".*", "$1");
        assertThat(awaitEnd(id).path("status").asText()).isEqualTo("succeeded");
    }

    @Test
    @Order(9)
    void theBackupCommandHandsTheRunToTheDaemonWhenOneAnswersAndRunsItselfOtherwise() throws Exception {
        CliRun handed = setup.cli("backup", "--type", "full", "--annotation", "reason=handed");

        assertThat(handed.exitCode()).as(handed.all()).isZero();
        assertThat(handed.out()).contains("backup handed to the daemon at http://127.0.0.1:")
                .contains("(backup-full) succeeded").contains("(full): ").contains(" files, ");
        CliRun infoRun = setup.cli("info", "--output", "json");
        assertThat(infoRun.exitCode()).as(infoRun.all()).isZero();
        JsonNode info = json(infoRun.out());
        JsonNode newest = info.path("backups").get(info.path("backups").size() - 1);
        assertThat(newest.path("annotations").path("reason").asText()).isEqualTo("handed");
        String id = handed.out().replaceAll("(?s).* as job (\\S+);.*", "$1");
        assertThat(setup.cli("jobs", id).out()).contains("status: succeeded").contains("trigger: api");

        // the same command with no daemon on the configured port backs up in its own process (once the
        // daemon's expire-after-backup, which holds the repository's backup lock, is done)
        awaitNoRunningJobs();
        Path noDaemon = dir.resolve("no-daemon.yaml");
        Files.writeString(noDaemon, Files.readString(setup.config())
                .replaceAll("listen: 127.0.0.1:\\d+", "listen: 127.0.0.1:" + freePort()));
        CliRun alone = CliRun.run("--config", noDaemon.toString(), "backup", "--type", "incr");
        assertThat(alone.exitCode()).as(alone.all()).isZero();
        assertThat(alone.err()).contains("no daemon answers on http://127.0.0.1:").contains("backing up in this process");
        assertThat(alone.out()).startsWith("✔ backup ").contains("(incr, parent ");
    }

    @Test
    @Order(10)
    void theRestoreCommandHandsTheRestoreToTheDaemonWhichWritesRecoverySettingsNamingItsConfiguration()
            throws Exception {
        awaitNoRunningJobs();
        Path target = Files.createDirectories(dir.resolve("restored"));
        Files.setPosixFilePermissions(target, PosixFilePermissions.fromString("rwx------"));
        BackupSetup.givePostgres(target);

        CliRun handed = setup.cli("restore", "--pgdata", target.toString(), "--target", "immediate",
                "--target-action", "promote", "--wal-source", "fetch");

        assertThat(handed.exitCode()).as(handed.all()).isZero();
        assertThat(handed.out()).contains("restore handed to the daemon at http://127.0.0.1:")
                .contains("(restore) succeeded").contains("restored backup ").contains("; WAL: timeline 1, ")
                .contains("next: start PostgreSQL on it (as its OS user): pg_ctl -D '" + target + "' start");
        assertThat(target.resolve("PG_VERSION")).exists();
        assertThat(target.resolve("global/pg_control")).exists();
        assertThat(target.resolve("recovery.signal")).exists();
        assertThat(Files.readString(target.resolve("postgresql.auto.conf")))
                .contains("--config " + setup.config().toAbsolutePath() + " wal-fetch %f %p")
                .contains("recovery_target = 'immediate'").contains("recovery_target_action = 'promote'");
        assertThat(Files.getOwner(target.resolve("PG_VERSION")).getName()).isEqualTo("postgres");
        String id = handed.out().replaceAll("(?s).* as job (\\S+);.*", "$1");
        assertThat(setup.cli("jobs", id).out()).contains("status: succeeded").contains("kind: restore");

        // what the daemon refuses reaches the command with the daemon's reason and exit code
        CliRun again = setup.cli("restore", "--pgdata", target.toString());
        assertThat(again.exitCode()).as(again.all()).isEqualTo(2);
        assertThat(again.all()).contains("restore handed to the daemon").contains("'" + target + "' is not empty");

        // bad parameters are a 400 naming them, as for every kind
        Http.Reply bad = Http.send("POST", api + "/jobs", TOKEN,
                "{\"kind\":\"restore\",\"pgdata\":\"/nowhere\",\"target-lsn\":\"soon\"}");
        assertThat(bad.status()).as(bad.body()).isEqualTo(400);
        assertThat(bad.body()).contains("parameter 'target-lsn' of job kind 'restore' 'soon' is not a WAL position");
        Http.Reply relative = Http.send("POST", api + "/jobs", TOKEN, "{\"kind\":\"restore\",\"pgdata\":\"data\"}");
        assertThat(relative.status()).as(relative.body()).isEqualTo(400);
        assertThat(relative.body()).contains("needs the parameter 'pgdata', an absolute path");
    }

    @Test
    @Order(11)
    void aCommandLineSentAsTypedIsParsedByTheDaemonAndRunWithPathsOfTheSendersDirectory() throws Exception {
        awaitNoRunningJobs();
        Path work = Files.createDirectories(dir.resolve("operator-cwd"));
        Path target = Files.createDirectories(work.resolve("restored-relative"));
        Files.setPosixFilePermissions(target, PosixFilePermissions.fromString("rwx------"));
        BackupSetup.givePostgres(target);

        Optional<Integer> handed = HandOverClient.handOver(new String[]{"--config", setup.config().toString(),
            "restore", "--pgdata", "restored-relative", "--target", "immediate", "--wal-source", "fetch"}, null, work);

        assertThat(handed).as("the daemon took the run: no fall-back to the full command line").contains(0);
        assertThat(target.resolve("PG_VERSION")).exists();
        assertThat(Files.readString(target.resolve("postgresql.auto.conf"))).contains("recovery_target = 'immediate'");

        // bad options are a 400 naming them, in the words of the command line
        Map<String, String> refused = Map.of(
                "{\"command\":\"restore\",\"args\":[\"--pgdata\",\"d\",\"--no-such\"],\"cwd\":\"/\"}",
                "pgwarden restore: Unknown option: '--no-such'",
                "{\"command\":\"restore\",\"args\":[\"--pgdata\",\"d\",\"--target-lsn\",\"soon\"],\"cwd\":\"/\"}",
                "--target-lsn 'soon' is not a WAL position",
                "{\"command\":\"backup\",\"args\":[\"--in-process\"],\"cwd\":\"/\"}",
                "run the backup in the command's own process",
                "{\"command\":\"daemon\",\"args\":[],\"cwd\":\"/\"}",
                "command 'daemon' is not run for the command line; expected one of backup, restore",
                "{\"command\":\"backup\",\"args\":[]}", "expected a string field 'cwd'");
        refused.forEach((body, message) -> {
            Http.Reply r = Http.send("POST", api + "/commands", TOKEN, body);
            assertThat(r.status()).as(body + " -> " + r.body()).isEqualTo(400);
            assertThat(r.body()).as(body).contains(message);
        });
        assertThat(Http.send("POST", api + "/commands", "wrong-token-0123456789", "{}").status()).isEqualTo(401);

        // through the launcher, as an operator types it
        try (Distribution backup = Distribution.startAsPostgres(Map.of(), List.of("--config",
                setup.config().toString(), "backup", "--type", "incr", "--annotation", "via=launcher"))) {
            assertThat(backup.waitFor(Duration.ofSeconds(120))).as(backup.transcript()).isZero();
            assertThat(backup.transcript()).contains("backup handed to the daemon at " + api.replace("/api/v1", ""))
                    .contains("(backup-incr) succeeded");
        }
    }

    /** Polls GET /jobs until no run is waiting or running. */
    private static void awaitNoRunningJobs() throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
        while (true) {
            Http.Reply r = Http.send("GET", api + "/jobs", TOKEN, null);
            assertThat(r.status()).as(r.body()).isEqualTo(200);
            if (!r.body().matches("(?s).*\"status\":\"(running|waiting|queued)\".*")) {
                return;
            }
            assertThat(System.nanoTime()).as("daemon idle in time; last: %s", r.body()).isLessThan(deadline);
            Thread.sleep(100);
        }
    }
}
