package org.pgwarden.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import org.pgwarden.adapter.micrometer.MicrometerMetrics;
import org.pgwarden.adapter.quartz.QuartzCronValidator;
import org.pgwarden.adapter.systemd.SystemdNotifier;
import org.pgwarden.config.ConfigLoader;
import org.pgwarden.config.PgwardenConfig;
import org.pgwarden.testing.CliRun;
import org.pgwarden.testing.DaemonSetup;
import org.pgwarden.testing.Http;
import org.pgwarden.testing.LogCapture;
import org.pgwarden.testing.PostgresFixture;

/**
 * Maintenance windows through the CLI and the daemon: {@code maintain --dry-run} prints the plan
 * (text and JSON), {@code maintain} runs the window and stores its report, which {@code info}
 * shows; an unknown window is a usage error naming the configured ones; the daemon schedules each
 * window under its own key, and stopping the daemon cancels a running statement at once.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class MaintenanceWindowIT {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path dir;
    private static PostgresFixture pg;
    private static Path config;
    private Daemon daemon;

    @BeforeAll
    static void start() throws Exception {
        pg = PostgresFixture.start(Map.of("autovacuum", "off"));
        config = DaemonSetup.createConfig(dir, pg.cluster(), """
                admin:
                  listen: 127.0.0.1:0
                maintenance:
                  windows:
                    - name: nightly
                      start: "0 0 2 * * ?"
                      duration: 1m
                      databases: [postgres]
                      include: ["public.churn"]
                      thresholds: {min-table-size: 0B}
                    - name: every-second
                      start: "* * * * * ?"
                      duration: 1m
                      databases: [postgres]
                      include: ["public.slow"]
                      thresholds: {min-table-size: 0B}
                      cost-delay: 100ms
                      cost-limit: 1
                """);
        // One session each, so each flushes its statistics before the next.
        pg.sql("CREATE TABLE churn (id int, pad text)",
                "INSERT INTO churn SELECT g, repeat('c', 100) FROM generate_series(1, 10000) g");
        pg.sql("ANALYZE churn");
        pg.sql("DELETE FROM churn WHERE id % 4 = 0");
        CliRun created = cli("stanza-create");
        assertThat(created.exitCode()).as(created.all()).isZero();
    }

    @AfterAll
    static void stop() {
        pg.close();
    }

    @AfterEach
    void stopDaemon() {
        if (daemon != null) {
            daemon.stop("test over");
        }
    }

    static CliRun cli(String... args) {
        String[] all = new String[args.length + 2];
        all[0] = "--config";
        all[1] = config.toString();
        System.arraycopy(args, 0, all, 2, args.length);
        return CliRun.run(all);
    }

    @Test
    @Order(1)
    void dryRunPrintsThePlanAndChangesNothing() throws Exception {
        CliRun text = cli("maintain", "--window", "nightly", "--dry-run");
        assertThat(text.exitCode()).as(text.all()).isZero();
        assertThat(text.out()).contains("plan of window 'nightly': 1 item(s)")
                .containsPattern("1\\s+postgres\\s+vacuum \\(analyze\\)\\s+dead-tuples\\s+public\\.churn")
                .contains("2500 dead tuples (25% of 10000)");
        CliRun json = cli("maintain", "--window", "nightly", "--dry-run", "--output", "json");
        assertThat(json.exitCode()).as(json.all()).isZero();
        JsonNode plan = JSON.readTree(json.out());
        assertThat(plan.get("window").asText()).isEqualTo("nightly");
        assertThat(plan.get("items").get(0).get("sql").asText()).isEqualTo("VACUUM (ANALYZE) \"public\".\"churn\"");
        assertThat(plan.get("items").get(0).get("need").asText()).isEqualTo("dead-tuples");
        assertThat(pg.queryLong("SELECT n_dead_tup FROM pg_stat_user_tables WHERE relname = 'churn'")).isEqualTo(2500);

        CliRun unknown = cli("maintain", "--window", "weekly", "--dry-run");
        assertThat(unknown.exitCode()).isEqualTo(2);
        assertThat(unknown.err()).contains("PGW110").contains("no maintenance window named 'weekly'; configured:"
                + " nightly, every-second");
    }

    @Test
    @Order(2)
    void aRunByHandIsStoredAndShownByInfo() throws Exception {
        CliRun run = cli("maintain", "--window", "nightly");
        assertThat(run.exitCode()).as(run.all()).isZero();
        assertThat(run.out()).contains("window 'nightly' completed: 1 done, 0 skipped, 0 deferred, 0 failed");
        CliRun info = cli("info");
        assertThat(info.exitCode()).as(info.all()).isZero();
        assertThat(info.out()).containsPattern("maintenance window nightly: last run \\S+ completed at \\S+: 1 done,"
                + " 0 skipped, 0 deferred, 0 failed");
        JsonNode doc = JSON.readTree(cli("info", "--output", "json").out());
        JsonNode m = doc.get("maintenance").get(0);
        assertThat(m.get("window").asText()).isEqualTo("nightly");
        assertThat(m.get("outcome").asText()).isEqualTo("completed");
        assertThat(m.get("report").asText()).startsWith("maintenance/nightly/").endsWith(".json");
    }

    @Test
    @Order(3)
    void theDaemonSchedulesEachWindowAndStopCancelsTheRunningStatement() throws Exception {
        pg.sql("CREATE TABLE slow (id int, pad text)",
                "INSERT INTO slow SELECT g, repeat('s', 200) FROM generate_series(1, 30000) g",
                "DELETE FROM slow WHERE id % 2 = 0");
        PgwardenConfig c = new ConfigLoader(new QuartzCronValidator()).load(config).config();
        MicrometerMetrics metrics = new MicrometerMetrics(c.stanza(), true);
        daemon = new Daemon(c, Components.open(c, Map.of(), metrics), metrics, Clock.systemUTC(),
                new SystemdNotifier(Map.of()));
        assertThat(daemon.jobs().kinds()).contains("maintenance");
        assertThatThrownBy(() -> daemon.jobs().create("maintenance", Map.of()))
                .hasMessageContaining("job kind 'maintenance' needs the parameter 'window'");
        assertThatThrownBy(() -> daemon.jobs().create("maintenance", Map.of("window", "weekly")))
                .isInstanceOfSatisfying(org.pgwarden.common.PgwardenException.class, e -> assertThat(e.errorCode())
                        .isEqualTo(org.pgwarden.common.ErrorCode.MAINTENANCE_WINDOW_UNKNOWN));
        assertThatThrownBy(() -> daemon.jobs().create("maintenance", Map.of("window", "nightly", "opened-at", "2am")))
                .hasMessageContaining("parameter 'opened-at' of job kind 'maintenance' must be an ISO-8601 time");
        assertThat(daemon.jobs().create("maintenance", Map.of("window", "nightly")).lockName())
                .isEqualTo("maintenance");
        try (LogCapture logs = LogCapture.pgwarden()) {
            daemon.start();
            String body = Http.get("http://127.0.0.1:" + daemon.httpAddress().getPort() + "/metrics").body();
            assertThat(body).contains("pgwarden_job_next_fire_timestamp_seconds{kind=\"maintenance:nightly\"")
                    .contains("pgwarden_job_next_fire_timestamp_seconds{kind=\"maintenance:every-second\"");
            long t0 = System.nanoTime();
            while (pg.queryLong("SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'VACUUM%slow%'") == 0) {
                assertThat(System.nanoTime() - t0).isLessThan(TimeUnit.SECONDS.toNanos(15));
                Thread.sleep(50);
            }
            long s0 = System.nanoTime();
            daemon.stop("SIGTERM received");
            Duration stopping = Duration.ofNanos(System.nanoTime() - s0);
            daemon = null;
            assertThat(stopping).isLessThan(Duration.ofSeconds(5));
            assertThat(pg.queryLong("SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'VACUUM%slow%'"))
                    .isZero();
            assertThat(logs.lines()).anyMatch(l -> l.contains("window 'every-second'")
                    && l.contains("deferred vacuum (analyze) postgres public.slow")
                    && l.contains("cancelled while running"));
        }
    }

    @Test
    @Order(4)
    void aRunByHandThatIsTerminatedCancelsItsStatementAndStoresItsReport() throws Exception {
        try (org.pgwarden.testing.Distribution run = org.pgwarden.testing.Distribution.start(Map.of(),
                java.util.List.of("--config", config.toString(), "maintain", "--window", "every-second"))) {
            long t0 = System.nanoTime();
            while (pg.queryLong("SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'VACUUM%slow%'") == 0) {
                assertThat(System.nanoTime() - t0).as(run.transcript()).isLessThan(TimeUnit.SECONDS.toNanos(30));
                Thread.sleep(50);
            }
            run.terminate(Duration.ofSeconds(15));
            assertThat(pg.queryLong("SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'VACUUM%slow%'"))
                    .isZero();
            assertThat(run.transcript()).contains("cancelled while running");
        }
        CliRun info = cli("info");
        assertThat(info.out()).containsPattern("maintenance window every-second: last run \\S+ deferred at \\S+: 0 done,"
                + " 0 skipped, 1 deferred, 0 failed, .* reclaimed; stopped: cancelled");
    }
}
