package org.pgwarden.audit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import org.pgwarden.adapter.fs.FilesystemObjectStore;
import org.pgwarden.adapter.jdbc.JdbcPgCluster;
import org.pgwarden.common.ErrorCode;
import org.pgwarden.common.PgwardenException;
import org.pgwarden.config.ConfigLoader;
import org.pgwarden.config.PgwardenConfig;
import org.pgwarden.job.JobContext;
import org.pgwarden.metrics.MeterNames;
import org.pgwarden.metrics.Metrics;
import org.pgwarden.repo.RepositoryLayout;
import org.pgwarden.storage.Capabilities;
import org.pgwarden.storage.ObjectInfo;
import org.pgwarden.storage.ObjectKey;
import org.pgwarden.storage.ObjectStore;
import org.pgwarden.testing.BackupSetup;
import org.pgwarden.testing.CliRun;
import org.pgwarden.testing.Distribution;
import org.pgwarden.testing.RecordingMetrics;

/**
 * Audit retention against a real server and a filesystem repository, through the real CLI: an
 * {@code audit_events}-style table (correlation ids, JSONB metadata, text with commas, quotes and
 * newlines) in batches and a monthly-partitioned {@code audit_log} lose exactly their rows older
 * than the cutoff, which {@code retention restore} brings back row for row; a legal hold touches
 * nothing; an unreachable repository deletes nothing; a process killed (SIGKILL) after an archive
 * was stored but before its delete, or between batches, is finished by the next run with no row
 * lost or counted twice; and a concurrent writer and reader are never held up by a run.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class AuditRetentionIT {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path dir;
    private static BackupSetup setup;
    /** The same configuration without pauses, for reruns after a kill. */
    private static Path quickConfig;

    @BeforeAll
    static void start() throws Exception {
        setup = BackupSetup.start(dir, Map.of(), """
                audit-retention:
                  tables:
                    - database: postgres
                      table: public.audit_events
                      timestamp-column: created_at
                      keep: 30d
                      batch-size: 700
                      pause-between-batches: 0s
                    - database: postgres
                      table: public.audit_log
                      timestamp-column: logged_at
                      keep: 60d
                      mode: partitions
                    - database: postgres
                      table: public.held_events
                      timestamp-column: created_at
                      keep: 1d
                      legal-hold: true
                    - database: postgres
                      table: public.crash_events
                      timestamp-column: created_at
                      keep: 30d
                      batch-size: 500
                      pause-between-batches: 10m
                    - database: postgres
                      table: public.busy_events
                      timestamp-column: created_at
                      keep: 30d
                      batch-size: 1000
                      pause-between-batches: 0s
                      lock-timeout: 2s
                    - database: postgres
                      table: public.crash_log
                      timestamp-column: logged_at
                      keep: 60d
                      mode: partitions
                    - database: postgres
                      table: public.slow_events
                      timestamp-column: created_at
                      keep: 30d
                      batch-size: 100
                      pause-between-batches: 2s
                      max-run-time: 1s
                    - database: postgres
                      table: public.cancel_events
                      timestamp-column: created_at
                      keep: 30d
                      batch-size: 100
                      pause-between-batches: 10m
                    - database: postgres
                      table: public.race_events
                      timestamp-column: created_at
                      keep: 30d
                      batch-size: 100
                      pause-between-batches: 0s
                    - database: postgres
                      table: public.locked_events
                      timestamp-column: created_at
                      keep: 30d
                      batch-size: 100
                      pause-between-batches: 0s
                      lock-timeout: 500ms
                    - database: postgres
                      table: public.s3_events
                      timestamp-column: created_at
                      keep: 30d
                      batch-size: 200
                      pause-between-batches: 0s
                    - database: postgres
                      table: public.lag_events
                      timestamp-column: created_at
                      keep: 30d
                      batch-size: 100
                      pause-between-batches: 0s
                      max-replication-lag: 1MiB
                """);
        String yaml = Files.readString(setup.config());
        quickConfig = dir.resolve("quick.yaml");
        Files.writeString(quickConfig, yaml.replace("pause-between-batches: 10m", "pause-between-batches: 0s"));
        assertThat(setup.cli("stanza-create").exitCode()).isZero();
        setup.pg().sql(events("audit_events", 2000, 1000),
                events("held_events", 50, 50),
                events("crash_events", 1500, 100),
                events("busy_events", 20000, 100),
                """
                CREATE TABLE audit_log (id bigint NOT NULL, logged_at timestamptz NOT NULL, source text,
                    payload jsonb, PRIMARY KEY (id, logged_at)) PARTITION BY RANGE (logged_at)""",
                """
                DO $$
                DECLARE m timestamptz;
                BEGIN
                  FOR i IN 0..6 LOOP
                    m := date_trunc('month', now()) - make_interval(months => 6 - i);
                    EXECUTE format('CREATE TABLE %I PARTITION OF audit_log FOR VALUES FROM (%L) TO (%L)',
                        'audit_log_' || to_char(m, 'YYYY_MM'), m, m + interval '1 month');
                  END LOOP;
                END $$""",
                "CREATE TABLE audit_log_default PARTITION OF audit_log DEFAULT",
                events("slow_events", 1000, 10),
                events("cancel_events", 1000, 10),
                events("race_events", 300, 10),
                events("locked_events", 300, 10),
                events("s3_events", 500, 10),
                events("lag_events", 300, 10),
                "CREATE TABLE s3_events_before AS SELECT * FROM s3_events",
                """
                CREATE TABLE crash_log (id bigint NOT NULL, logged_at timestamptz NOT NULL, source text,
                    PRIMARY KEY (id, logged_at)) PARTITION BY RANGE (logged_at)""",
                """
                DO $$
                DECLARE m timestamptz;
                BEGIN
                  FOR i IN 0..6 LOOP
                    m := date_trunc('month', now()) - make_interval(months => 6 - i);
                    EXECUTE format('CREATE TABLE %I PARTITION OF crash_log FOR VALUES FROM (%L) TO (%L)',
                        'crash_log_' || to_char(m, 'YYYY_MM'), m, m + interval '1 month');
                  END LOOP;
                END $$""",
                """
                INSERT INTO crash_log SELECT g, now() - make_interval(hours => g), 'svc-' || (g % 7)
                FROM generate_series(1, 24 * 150) g""",
                "CREATE TABLE crash_log_before AS SELECT * FROM crash_log",
                """
                INSERT INTO audit_log SELECT g, now() - make_interval(hours => g), 'svc-' || (g % 7),
                    jsonb_build_object('n', g, 'msg', 'a "quoted", comma' || chr(10) || 'newline')
                FROM generate_series(1, 24 * 150) g""",
                // one row beyond every range partition: the default partition is never dropped
                "INSERT INTO audit_log VALUES (999999, '1999-01-01T00:00:00Z', 'ancient', '{}')",
                "CREATE TABLE audit_log_before AS SELECT * FROM audit_log",
                "CREATE TABLE audit_events_before AS SELECT * FROM audit_events",
                "CREATE TABLE crash_events_before AS SELECT * FROM crash_events");
    }

    /**
     * {@code old} rows 44 to 100 days old (ids first, in time order) and {@code recent} rows 2 to 20
     * days old, none near a 30-day cutoff, with the awkward text a CSV archive must round-trip.
     */
    private static String events(String table, int old, int recent) {
        return """
                CREATE TABLE %1$s (id bigint PRIMARY KEY, created_at timestamptz NOT NULL,
                    correlation_id uuid NOT NULL, actor text, action text, metadata jsonb);
                INSERT INTO %1$s SELECT g,
                    CASE WHEN g <= %2$d THEN now() - interval '100 days' + g * (interval '56 days' / %2$d)
                         ELSE now() - interval '20 days' + (g - %2$d) * (interval '18 days' / %3$d) END,
                    md5(g::text)::uuid, 'user "' || g || '", of team ' || (g %% 5), CASE WHEN g %% 3 = 0 THEN NULL
                    ELSE 'login' END,
                    jsonb_build_object('ip', '10.0.' || (g %% 250) || '.1', 'note', 'multi' || chr(10) || 'line, "q"',
                        'tags', jsonb_build_array(g, 'x'))
                FROM generate_series(1, %2$d + %3$d) g""".formatted(table, old, recent);
    }

    @AfterAll
    static void stop() {
        if (setup != null) {
            setup.close();
        }
    }

    @Test
    @Order(1)
    void dryRunCountsWithoutChangingAnything() throws Exception {
        CliRun r = setup.cli("retention", "--dry-run", "--output", "json");
        assertThat(r.exitCode()).as(r.all()).isZero();
        JsonNode doc = JSON.readTree(r.out());
        JsonNode events = table(doc, "public.audit_events");
        assertThat(events.get("rows").asLong()).isEqualTo(2000);
        assertThat(events.get("estimatedArchiveBytes").asLong()).isPositive();
        JsonNode log = table(doc, "public.audit_log");
        long expectedDropped = setup.pg().queryLong("SELECT count(*) FROM audit_log WHERE logged_at < date_trunc('month',"
                + " now() - interval '60 days') AND logged_at >= date_trunc('month', now()) - interval '6 months'");
        assertThat(log.get("rows").asLong()).isEqualTo(expectedDropped);
        assertThat(log.get("partitions")).isNotEmpty();
        assertThat(log.get("partitions").toString()).doesNotContain("audit_log_default");
        assertThat(table(doc, "public.held_events").get("legalHold").asBoolean()).isTrue();
        assertThat(setup.pg().queryLong("SELECT count(*) FROM audit_events")).isEqualTo(3000);

        CliRun text = setup.cli("retention", "--dry-run", "--table", "public.audit_events");
        assertThat(text.out()).contains("public.audit_events (database postgres, batches): cutoff ")
                .contains("would remove 2000 rows");
    }

    @Test
    @Order(2)
    void batchesArchiveThenDeleteExactlyTheOldRowsAndRestoreBringsThemBack() throws Exception {
        String recentBefore = digest("audit_events", "created_at >= now() - interval '30 days'");
        CliRun r = setup.cli("retention", "--table", "public.audit_events", "--output", "json");
        assertThat(r.exitCode()).as(r.all()).isZero();
        JsonNode t = table(JSON.readTree(r.out()), "public.audit_events");
        assertThat(t.get("outcome").asText()).isEqualTo("completed");
        assertThat(t.get("rowsDeleted").asLong()).isEqualTo(2000);
        assertThat(t.get("rowsArchived").asLong()).isEqualTo(2000);
        assertThat(t.get("batches").asInt()).isEqualTo(3);

        assertThat(setup.pg().queryLong("SELECT count(*) FROM audit_events WHERE created_at < now() - interval '30 days'"))
                .isZero();
        assertThat(digest("audit_events", "created_at >= now() - interval '30 days'")).isEqualTo(recentBefore);
        List<ArchiveManifest> manifests = manifests("public.audit_events");
        assertThat(manifests).hasSize(3).allMatch(m -> m.state() == ArchiveManifest.State.DELETED);
        assertThat(manifests.stream().mapToLong(ArchiveManifest::rows).sum()).isEqualTo(2000);

        CliRun restore = setup.cli("retention", "restore", "--table", "public.audit_events", "--from",
                "2000-01-01T00:00:00Z", "--to", Instant.now().toString(), "--into", "public.audit_events_restored");
        assertThat(restore.exitCode()).as(restore.all()).isZero();
        assertThat(restore.out()).contains("restored 2000 rows of public.audit_events from 3 archive(s)");
        assertSameRows("audit_events_before WHERE id <= 2000", "audit_events_restored");

        CliRun none = setup.cli("retention", "restore", "--table", "public.audit_events", "--from",
                "2001-01-01T00:00:00Z", "--to", "2001-02-01T00:00:00Z");
        assertThat(none.exitCode()).isEqualTo(ErrorCode.AUDIT_NOTHING_ARCHIVED.exitCode());
        assertThat(none.err()).contains("[PGW124]");

        CliRun again = setup.cli("retention", "--table", "public.audit_events", "--output", "json");
        assertThat(table(JSON.readTree(again.out()), "public.audit_events").get("rowsDeleted").asLong()).isZero();
    }

    @Test
    @Order(3)
    void partitionsOlderThanTheCutoffAreArchivedDetachedAndDroppedButNeverTheDefault() throws Exception {
        List<String> before = partitions();
        long expectedGone = setup.pg().queryLong("SELECT count(*) FROM audit_log WHERE logged_at < date_trunc('month',"
                + " now() - interval '60 days') AND logged_at >= date_trunc('month', now()) - interval '6 months'");
        CliRun r = setup.cli("retention", "--table", "public.audit_log", "--output", "json");
        assertThat(r.exitCode()).as(r.all()).isZero();
        JsonNode t = table(JSON.readTree(r.out()), "public.audit_log");
        assertThat(t.get("rowsDeleted").asLong()).isEqualTo(expectedGone);
        assertThat(t.get("partitionsDropped").asInt()).isPositive();

        List<String> after = partitions();
        assertThat(after).contains("audit_log_default").hasSize(before.size() - t.get("partitionsDropped").asInt());
        assertThat(setup.pg().queryLong("SELECT count(*) FROM pg_class WHERE relkind = 'r' AND relname ~ '^audit_log_[0-9]'"))
                .isEqualTo(after.size() - 1);
        assertThat(setup.pg().queryLong("SELECT count(*) FROM audit_log WHERE id = 999999")).isEqualTo(1);
        String where = "logged_at >= date_trunc('month', now() - interval '60 days')";
        assertThat(digest("audit_log", where)).isEqualTo(digest("audit_log_before", where));

        CliRun restore = setup.cli("retention", "restore", "--table", "public.audit_log", "--from",
                "2000-01-01T00:00:00Z", "--to", Instant.now().toString(), "--into", "public.audit_log_restored");
        assertThat(restore.exitCode()).as(restore.all()).isZero();
        assertSameRows("audit_log_before WHERE logged_at < date_trunc('month', now() - interval '60 days') AND id <>"
                + " 999999", "audit_log_restored");
    }

    @Test
    @Order(4)
    void aLegalHoldTouchesNothing() throws Exception {
        String before = digest("held_events", "true");
        CliRun r = setup.cli("retention", "--table", "public.held_events", "--output", "json");
        assertThat(r.exitCode()).as(r.all()).isZero();
        assertThat(table(JSON.readTree(r.out()), "public.held_events").get("outcome").asText()).isEqualTo("held");
        assertThat(digest("held_events", "true")).isEqualTo(before);
        assertThat(manifests("public.held_events")).isEmpty();
    }

    @Test
    @Order(5)
    void anUnreachableRepositoryDeletesNothingAndSaysWhichTableAndRepository() throws Exception {
        PgwardenConfig config = new ConfigLoader(expr -> Optional.empty()).load(setup.config()).config();
        RecordingMetrics metrics = new RecordingMetrics();
        BackupSetup.Repository repo = setup.open();
        ObjectStore down = new Unreachable(repo.store());
        long before = setup.pg().queryLong("SELECT count(*) FROM crash_events");
        try (JdbcPgCluster pg = new JdbcPgCluster(config.postgres(), Map.of(), Metrics.noop())) {
            AuditRetention retention = new AuditRetention(config.auditRetention(), pg, down,
                    new org.pgwarden.repo.SealedObjects(down, "test", repo.keyring(), org.pgwarden.codec.Codec.zstd(1)),
                    metrics, AuditRetention.Checkpoint.NONE);
            assertThatThrownBy(() -> retention.run(Optional.of("public.crash_events"),
                    JobContext.standalone("r1", AuditRetentionJob.KIND, Clock.systemUTC())))
                    .isInstanceOfSatisfying(PgwardenException.class, e -> {
                        assertThat(e.errorCode()).isEqualTo(ErrorCode.AUDIT_ARCHIVE_FAILED);
                        assertThat(e.getMessage()).contains("table 'public.crash_events'")
                                .contains("unable to store the archive")
                                .contains("repository '" + down.describe() + "'").contains("PGW030");
                    });
        }
        assertThat(setup.pg().queryLong("SELECT count(*) FROM crash_events")).isEqualTo(before);
        assertThat(metrics.counter(MeterNames.AUDIT_RUNS, "table", "public.crash_events", "outcome", "failed"))
                .isEqualTo(1.0);
        assertThat(metrics.counter(MeterNames.AUDIT_ROWS_DELETED, "table", "public.crash_events")).isZero();
    }

    @Test
    @Order(6)
    void aProcessKilledAfterTheUploadAndBeforeTheDeleteLosesAndDuplicatesNothing() throws Exception {
        Path marker = dir.resolve("halted");
        try (Distribution d = Distribution.start(Map.of("PGWARDEN_JAVA_OPTS",
                "-Dpgwarden.test.audit-halt=archived:" + marker), List.of("--config", setup.config().toString(),
                "retention", "--table", "public.crash_events"))) {
            awaitFile(marker, d);
            ProcessHandle.of(d.pid()).ifPresent(ProcessHandle::destroyForcibly);
            d.waitFor(Duration.ofSeconds(30));
        }
        List<ArchiveManifest> afterKill = manifests("public.crash_events");
        assertThat(afterKill).hasSize(1).allMatch(m -> m.state() == ArchiveManifest.State.ARCHIVED);
        assertThat(afterKill.get(0).rows()).isEqualTo(500);
        assertThat(setup.pg().queryLong("SELECT count(*) FROM crash_events")).isEqualTo(1600);

        CliRun rerun = CliRun.run("--config", quickConfig.toString(), "retention", "--table", "public.crash_events",
                "--output", "json");
        assertThat(rerun.exitCode()).as(rerun.all()).isZero();
        JsonNode t = table(JSON.readTree(rerun.out()), "public.crash_events");
        assertThat(t.get("reconciled").asInt()).isEqualTo(1);
        assertThat(t.get("rowsDeleted").asLong()).isEqualTo(1500);
        assertCrashEventsFinished();
    }

    @Test
    @Order(7)
    void aProcessKilledBetweenBatchesLosesAndDuplicatesNothing() throws Exception {
        // Start again from the original rows.
        setup.pg().sql("TRUNCATE crash_events", "INSERT INTO crash_events SELECT * FROM crash_events_before");
        BackupSetup.Repository repo = setup.open();
        try (Stream<ObjectInfo> s = repo.store().list(RepositoryLayout.auditTablePrefix("postgres", "public.crash_events"))) {
            repo.store().delete(s.map(ObjectInfo::key).toList());
        }
        try (Distribution d = Distribution.start(Map.of(), List.of("--config", setup.config().toString(),
                "retention", "--table", "public.crash_events"))) {
            // The first batch is deleted and recorded; the run now pauses 10 minutes before the next.
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (manifests("public.crash_events").stream().noneMatch(m -> m.state() == ArchiveManifest.State.DELETED)) {
                assertThat(System.nanoTime()).as(d.transcript()).isLessThan(deadline);
                Thread.sleep(100);
            }
            ProcessHandle.of(d.pid()).ifPresent(ProcessHandle::destroyForcibly);
            d.waitFor(Duration.ofSeconds(30));
        }
        assertThat(setup.pg().queryLong("SELECT count(*) FROM crash_events")).isEqualTo(1100);
        CliRun rerun = CliRun.run("--config", quickConfig.toString(), "retention", "--table", "public.crash_events",
                "--output", "json");
        assertThat(rerun.exitCode()).as(rerun.all()).isZero();
        assertThat(table(JSON.readTree(rerun.out()), "public.crash_events").get("rowsDeleted").asLong()).isEqualTo(1000);
        assertCrashEventsFinished();
    }

    @Test
    @Order(8)
    void aConcurrentWriterAndReaderAreNeverBlockedLongerThanTheLockTimeout() throws Exception {
        AtomicBoolean running = new AtomicBoolean(true);
        AtomicLong writerMax = new AtomicLong();
        AtomicLong readerMax = new AtomicLong();
        AtomicLong writes = new AtomicLong();
        AtomicLong reads = new AtomicLong();
        List<Throwable> failures = java.util.Collections.synchronizedList(new ArrayList<>());
        Thread writer = new Thread(() -> loop(running, writerMax, writes, failures,
                "INSERT INTO busy_events VALUES (nextval('busy_ids'), now(), gen_random_uuid(), 'w', 'write', '{}')"));
        Thread reader = new Thread(() -> loop(running, readerMax, reads, failures,
                "SELECT count(*), max(created_at) FROM busy_events"));
        setup.pg().sql("CREATE SEQUENCE busy_ids START 1000000");
        writer.start();
        reader.start();
        long t0 = System.nanoTime();
        CliRun r;
        try {
            r = setup.cli("retention", "--table", "public.busy_events", "--output", "json");
        } finally {
            running.set(false);
            writer.join();
            reader.join();
        }
        long runMillis = (System.nanoTime() - t0) / 1_000_000;
        assertThat(r.exitCode()).as(r.all()).isZero();
        assertThat(failures).isEmpty();
        assertThat(table(JSON.readTree(r.out()), "public.busy_events").get("rowsDeleted").asLong()).isEqualTo(20000);
        System.out.printf("audit retention of 20000 rows in %d ms; concurrent writer: %d inserts, slowest %d ms;"
                + " concurrent reader: %d scans, slowest %d ms%n", runMillis, writes.get(), writerMax.get(), reads.get(),
                readerMax.get());
        assertThat(writes.get()).isPositive();
        assertThat(reads.get()).isPositive();
        assertThat(writerMax.get()).isLessThan(2000);
        assertThat(readerMax.get()).isLessThan(2000);
    }

    @Test
    @Order(9)
    void theDaemonRunsEachTableOnItsScheduleAndExportsItsMetrics() throws Exception {
        setup.pg().sql(events("sched_events", 300, 20));
        Path file = dir.resolve("daemon.yaml");
        Files.writeString(file, Files.readString(setup.config()).replace("  tables:\n", """
                  tables:
                    - database: postgres
                      table: public.sched_events
                      timestamp-column: created_at
                      keep: 30d
                      batch-size: 100
                      pause-between-batches: 0s
                      schedule: "* * * * * ?"
                """) + """
                admin:
                  listen: 127.0.0.1:0
                  token-file: %s
                daemon:
                  shutdown-grace: 5s
                  stop-file: %s
                """.formatted(token(), dir.resolve("pgwarden.stop")));
        PgwardenConfig config = new ConfigLoader(new org.pgwarden.adapter.quartz.QuartzCronValidator()).load(file)
                .config();
        org.pgwarden.adapter.micrometer.MicrometerMetrics metrics =
                new org.pgwarden.adapter.micrometer.MicrometerMetrics(config.stanza(), false);
        try (org.pgwarden.app.Daemon d = new org.pgwarden.app.Daemon(config,
                org.pgwarden.app.Components.open(config, Map.of(), metrics), metrics, Clock.systemUTC(),
                new org.pgwarden.adapter.systemd.SystemdNotifier(Map.of()))) {
            d.start();
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (setup.pg().queryLong("SELECT count(*) FROM sched_events") > 20) {
                assertThat(System.nanoTime()).isLessThan(deadline);
                Thread.sleep(200);
            }
            String scrape = "";
            while (!scrape.contains("pgwarden_audit_runs_total{outcome=\"completed\"")) {
                assertThat(System.nanoTime()).isLessThan(deadline);
                Thread.sleep(200);
                scrape = org.pgwarden.testing.Http.get("http://127.0.0.1:" + d.httpAddress().getPort() + "/metrics")
                        .body();
            }
            assertThat(scrape).contains("pgwarden_audit_keep_seconds{stanza=\"test\",table=\"public.sched_events\"}"
                    + " 2592000.0")
                    .contains("pgwarden_audit_keep_seconds{stanza=\"test\",table=\"public.audit_events\"}")
                    .contains("pgwarden_audit_rows_deleted_total{stanza=\"test\",table=\"public.sched_events\"} 300.0")
                    .contains("pgwarden_audit_rows_archived_total{stanza=\"test\",table=\"public.sched_events\"} 300.0")
                    .contains("pgwarden_audit_oldest_row_age_seconds{stanza=\"test\",table=\"public.sched_events\"}")
                    .contains("pgwarden_audit_archive_bytes_total{stanza=\"test\",table=\"public.sched_events\"}")
                    .contains("pgwarden_job_next_fire_timestamp_seconds{kind=\"audit-retention:public.sched_events\"")
                    .containsPattern("pgwarden_job_runs_total\\{kind=\"audit-retention\",outcome=\"succeeded\"");

            // Started by hand through the admin API, followed to its end.
            Path live = dir.resolve("daemon-live.yaml");
            Files.writeString(live, Files.readString(file).replace("listen: 127.0.0.1:0", "listen: 127.0.0.1:"
                    + d.httpAddress().getPort()));
            CliRun trigger = CliRun.run("--config", live.toString(), "trigger", "audit-retention", "--table",
                    "public.held_events", "--wait");
            assertThat(trigger.exitCode()).as(trigger.all()).isZero();
            assertThat(trigger.out()).contains("(audit-retention) succeeded");
        }
    }

    private static Path token() throws java.io.IOException {
        Path token = dir.resolve("admin.token");
        if (!Files.exists(token)) {
            Files.writeString(token, "0123456789abcdef0123456789abcdef\n");
            Files.setPosixFilePermissions(token, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        }
        return token;
    }

    @Test
    @Order(10)
    void aPartitionLeftDetachedByAKilledProcessIsCheckedAndDroppedByTheNextRun() throws Exception {
        String where = "logged_at < date_trunc('month', now() - interval '60 days')";
        long expired = setup.pg().queryLong("SELECT count(*) FROM crash_log WHERE " + where);
        Path marker = dir.resolve("detached");
        try (Distribution d = Distribution.start(Map.of("PGWARDEN_JAVA_OPTS", "-Dpgwarden.test.audit-halt=detached:"
                + marker), List.of("--config", setup.config().toString(), "retention", "--table", "public.crash_log"))) {
            awaitFile(marker, d);
            ProcessHandle.of(d.pid()).ifPresent(ProcessHandle::destroyForcibly);
            d.waitFor(Duration.ofSeconds(30));
        }
        List<ArchiveManifest> afterKill = manifests("public.crash_log");
        assertThat(afterKill).hasSize(1).allMatch(m -> m.state() == ArchiveManifest.State.ARCHIVED);
        String detached = afterKill.get(0).partition().orElseThrow();
        assertThat(setup.pg().queryLong("SELECT count(*) FROM pg_inherits WHERE inhrelid = '" + detached
                + "'::regclass")).as("detached, not dropped").isZero();

        CliRun rerun = CliRun.run("--config", quickConfig.toString(), "retention", "--table", "public.crash_log",
                "--output", "json");
        assertThat(rerun.exitCode()).as(rerun.all()).isZero();
        assertThat(table(JSON.readTree(rerun.out()), "public.crash_log").get("reconciled").asInt()).isEqualTo(1);
        assertThat(setup.pg().queryString("SELECT coalesce(to_regclass('" + detached + "')::text, 'gone')"))
                .isEqualTo("gone");
        assertThat(setup.pg().queryLong("SELECT count(*) FROM crash_log WHERE " + where)).isZero();
        List<ArchiveManifest> done = manifests("public.crash_log");
        assertThat(done).allMatch(m -> m.state() == ArchiveManifest.State.DELETED);
        assertThat(done.stream().mapToLong(ArchiveManifest::rows).sum()).isEqualTo(expired);
        CliRun restore = setup.cli("retention", "restore", "--table", "public.crash_log", "--from",
                "2000-01-01T00:00:00Z", "--to", Instant.now().toString(), "--into", "public.crash_log_restored");
        assertThat(restore.exitCode()).as(restore.all()).isZero();
        setup.pg().sql("ALTER TABLE crash_log_restored ADD PRIMARY KEY (id, logged_at)");
        assertSameRows("crash_log_before WHERE " + where, "crash_log_restored");
    }

    @Test
    @Order(11)
    void theMaximumRunTimeEndsARunBetweenBatches() throws Exception {
        CliRun r = setup.cli("retention", "--table", "public.slow_events", "--output", "json");
        assertThat(r.exitCode()).as(r.all()).isZero();
        JsonNode t = table(JSON.readTree(r.out()), "public.slow_events");
        assertThat(t.get("outcome").asText()).isEqualTo("stopped");
        assertThat(t.get("stoppedEarly").asText()).startsWith("max-run-time 1s reached");
        assertThat(t.get("rowsDeleted").asLong()).isEqualTo(100);
        assertThat(setup.pg().queryLong("SELECT count(*) FROM slow_events")).isEqualTo(910);
        assertThat(manifests("public.slow_events")).singleElement()
                .matches(m -> m.state() == ArchiveManifest.State.DELETED && m.rows() == 100);
    }

    @Test
    @Order(12)
    void cancellingARunEndsItCleanlyBetweenBatches() throws Exception {
        PgwardenConfig config = new ConfigLoader(expr -> Optional.empty()).load(setup.config()).config();
        BackupSetup.Repository repo = setup.open();
        org.pgwarden.job.JobRunner runner = new org.pgwarden.job.JobRunner("test", Clock.systemUTC(), Metrics.noop());
        try (JdbcPgCluster pg = new JdbcPgCluster(config.postgres(), Map.of(), Metrics.noop())) {
            AuditRetention retention = new AuditRetention(config.auditRetention(), pg, repo.store(), repo.objects(),
                    Metrics.noop(), AuditRetention.Checkpoint.NONE);
            org.pgwarden.job.JobOutcome[] outcome = new org.pgwarden.job.JobOutcome[1];
            Thread t = new Thread(() -> outcome[0] = runner.run(new AuditRetentionJob(retention,
                    Optional.of("public.cancel_events")), org.pgwarden.job.JobTrigger.CLI));
            t.start();
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (manifests("public.cancel_events").stream().noneMatch(m -> m.state() == ArchiveManifest.State.DELETED)) {
                assertThat(System.nanoTime()).isLessThan(deadline);
                Thread.sleep(50);
            }
            long t0 = System.nanoTime();
            runner.cancelAll("test cancels");
            t.join(30_000);
            assertThat(t.isAlive()).isFalse();
            assertThat((System.nanoTime() - t0) / 1_000_000).as("ms to stop").isLessThan(10_000);
            assertThat(outcome[0].errorCode()).contains(ErrorCode.CANCELLED);
        }
        assertThat(setup.pg().queryLong("SELECT count(*) FROM cancel_events")).isEqualTo(910);
        assertThat(manifests("public.cancel_events")).singleElement()
                .matches(m -> m.state() == ArchiveManifest.State.DELETED && m.rows() == 100);
    }

    @Test
    @Order(13)
    void aRowChangedWhileItsBatchIsArchivedIsNeverDeletedUnarchived() throws Exception {
        PgwardenConfig config = new ConfigLoader(expr -> Optional.empty()).load(setup.config()).config();
        BackupSetup.Repository repo = setup.open();
        AtomicBoolean changed = new AtomicBoolean();
        AuditRetention.Checkpoint changeRowOne = (table, point) -> {
            if (table.equals("public.race_events") && changed.compareAndSet(false, true)) {
                setup.pg().sql("UPDATE race_events SET action = 'changed after archive' WHERE id = 1");
            }
        };
        List<AuditRetention.TableResult> results;
        try (JdbcPgCluster pg = new JdbcPgCluster(config.postgres(), Map.of(), Metrics.noop())) {
            results = new AuditRetention(config.auditRetention(), pg, repo.store(), repo.objects(), Metrics.noop(),
                    changeRowOne).run(Optional.of("public.race_events"),
                    JobContext.standalone("r2", AuditRetentionJob.KIND, Clock.systemUTC()));
        }
        assertThat(results.get(0).outcome()).isEqualTo("completed");
        assertThat(results.get(0).rowsDeleted()).isEqualTo(300);
        List<ArchiveManifest> all = manifests("public.race_events");
        assertThat(all).filteredOn(m -> m.state() == ArchiveManifest.State.SUPERSEDED).hasSize(1);
        assertThat(all).filteredOn(m -> m.state() == ArchiveManifest.State.DELETED)
                .extracting(ArchiveManifest::rows).containsExactly(100L, 100L, 100L);
        CliRun restore = setup.cli("retention", "restore", "--table", "public.race_events", "--from",
                "2000-01-01T00:00:00Z", "--to", Instant.now().toString(), "--into", "public.race_events_restored");
        assertThat(restore.exitCode()).as(restore.all()).isZero();
        assertThat(setup.pg().queryLong("SELECT count(*) FROM race_events_restored")).isEqualTo(300);
        assertThat(setup.pg().queryString("SELECT action FROM race_events_restored WHERE id = 1"))
                .isEqualTo("changed after archive");
    }

    @Test
    @Order(14)
    void aRowLockHeldByAWriterStopsTheRunAfterTheLockTimeoutWithNothingDeleted() throws Exception {
        try (Connection writer = setup.pg().connect(); Statement s = writer.createStatement()) {
            writer.setAutoCommit(false);
            s.execute("UPDATE locked_events SET action = 'held' WHERE id = 5");
            long t0 = System.nanoTime();
            CliRun r = setup.cli("retention", "--table", "public.locked_events", "--output", "json");
            long millis = (System.nanoTime() - t0) / 1_000_000;
            assertThat(r.exitCode()).as(r.all()).isZero();
            JsonNode t = table(JSON.readTree(r.out()), "public.locked_events");
            assertThat(t.get("outcome").asText()).isEqualTo("stopped");
            assertThat(t.get("stoppedEarly").asText()).isEqualTo("a row lock was not granted within lock-timeout 500ms");
            assertThat(t.get("rowsDeleted").asLong()).isZero();
            System.out.printf("a run meeting a held row lock stopped after %d ms (lock-timeout 500ms)%n", millis);
            writer.commit();
        }
        assertThat(setup.pg().queryLong("SELECT count(*) FROM locked_events")).isEqualTo(310);
        assertThat(manifests("public.locked_events")).singleElement()
                .matches(m -> m.state() == ArchiveManifest.State.SUPERSEDED);

        // Another session (another pgwarden) working on the table holds its advisory lock.
        try (Connection other = setup.pg().connect(); Statement s = other.createStatement()) {
            s.execute("SELECT pg_advisory_lock(hashtext('pgwarden audit-retention'), hashtext('public.locked_events'))");
            CliRun r = setup.cli("retention", "--table", "public.locked_events");
            assertThat(r.exitCode()).isEqualTo(ErrorCode.LOCK_HELD.exitCode());
            assertThat(r.err()).contains("[PGW060] audit retention of table 'public.locked_events' in database"
                    + " 'postgres' is already running in another session");
        }
        assertThat(setup.pg().queryLong("SELECT count(*) FROM locked_events")).isEqualTo(310);
    }

    @Test
    @Order(15)
    void archivesThroughTheS3ProtocolAndAnUnreachableEndpointDeletesNothing() throws Exception {
        PgwardenConfig config = new ConfigLoader(expr -> Optional.empty()).load(setup.config()).config();
        RecordingMetrics metrics = new RecordingMetrics();
        JobContext context = JobContext.standalone("r3", AuditRetentionJob.KIND, Clock.systemUTC());
        try (JdbcPgCluster pg = new JdbcPgCluster(config.postgres(), Map.of(), Metrics.noop());
                org.pgwarden.crypto.LocalKeyFileWrapper key = org.pgwarden.crypto.LocalKeyFileWrapper.open(setup.key())) {
            // A dead endpoint first: the real SDK's connection failures, retried, then nothing deleted.
            try (ObjectStore dead = org.pgwarden.adapter.s3.S3ObjectStore.open(
                    org.pgwarden.testing.S3MockFixture.createConfig(java.net.URI.create("http://127.0.0.1:1"), "nowhere",
                            "audit"), org.pgwarden.testing.S3MockFixture.environment(), Metrics.noop())) {
                AuditRetention retention = retention(config, pg, dead, key, metrics);
                assertThatThrownBy(() -> retention.run(Optional.of("public.s3_events"), context))
                        .isInstanceOfSatisfying(PgwardenException.class, e -> {
                            assertThat(e.errorCode()).isEqualTo(ErrorCode.AUDIT_ARCHIVE_FAILED);
                            assertThat(e.getMessage()).contains("table 'public.s3_events'").contains("s3://nowhere/audit");
                        });
            }
            assertThat(setup.pg().queryLong("SELECT count(*) FROM s3_events")).isEqualTo(510);
            assertThat(metrics.counter(MeterNames.AUDIT_RUNS, "table", "public.s3_events", "outcome", "failed"))
                    .isEqualTo(1.0);

            String bucket = org.pgwarden.testing.S3MockFixture.givenBucket("audit-retention");
            try (ObjectStore s3 = org.pgwarden.adapter.s3.S3ObjectStore.open(
                    org.pgwarden.testing.S3MockFixture.createConfig(bucket, "audit"),
                    org.pgwarden.testing.S3MockFixture.environment(), Metrics.noop())) {
                AuditRetention retention = retention(config, pg, s3, key, metrics);
                List<AuditRetention.TableResult> r = retention.run(Optional.of("public.s3_events"), context);
                assertThat(r.get(0).rowsDeleted()).isEqualTo(500);
                assertThat(r.get(0).batches()).isEqualTo(3);
                assertThat(metrics.counter(MeterNames.AUDIT_ROWS_ARCHIVED, "table", "public.s3_events")).isEqualTo(500.0);
                assertThat(metrics.counter(MeterNames.AUDIT_ARCHIVE_BYTES, "table", "public.s3_events")).isPositive();
                ArchiveRestore.Result restored = new ArchiveRestore(retention).restore("public.s3_events",
                        Instant.parse("2000-01-01T00:00:00Z"), Instant.now(), Optional.of("public.s3_events_restored"));
                assertThat(restored.archives()).isEqualTo(3);
            }
        }
        assertThat(setup.pg().queryLong("SELECT count(*) FROM s3_events")).isEqualTo(10);
        assertSameRows("s3_events_before WHERE id <= 500", "s3_events_restored");
    }

    @Test
    @Order(16)
    void aStandbyReplayingTooFarBehindStopsTheRunBeforeItsFirstBatch() throws Exception {
        java.util.Properties p = new java.util.Properties();
        p.setProperty("user", setup.pg().cluster().superuser());
        p.setProperty("replication", "true");
        p.setProperty("assumeMinServerVersion", "9.4");
        p.setProperty("preferQueryMode", "simple");
        try (Connection c = java.sql.DriverManager.getConnection(setup.pg().cluster().jdbcUrl(), p)) {
            org.postgresql.replication.LogSequenceNumber start = org.postgresql.replication.LogSequenceNumber.valueOf(
                    setup.pg().queryString("SELECT pg_current_wal_lsn()::text"));
            // A standby that received WAL up to here and replayed nothing after it.
            try (org.postgresql.replication.PGReplicationStream stream = c.unwrap(org.postgresql.PGConnection.class)
                    .getReplicationAPI().replicationStream().physical().withStartPosition(start).start()) {
                stream.setFlushedLSN(start);
                stream.setAppliedLSN(start);
                stream.forceUpdateStatus();
                // Move the primary 2 MiB or more ahead of it.
                setup.pg().sql("CREATE TABLE lag_filler AS SELECT g, repeat('x', 1000) AS pad FROM"
                        + " generate_series(1, 4000) g");
                stream.forceUpdateStatus();
                long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
                while (setup.pg().queryLong("SELECT coalesce(max(pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn)),"
                        + " 0)::bigint FROM pg_stat_replication") < 2 * 1024 * 1024) {
                    assertThat(System.nanoTime()).isLessThan(deadline);
                    stream.forceUpdateStatus();
                    Thread.sleep(100);
                }
                CliRun r = setup.cli("retention", "--table", "public.lag_events", "--output", "json");
                assertThat(r.exitCode()).as(r.all()).isZero();
                JsonNode t = table(JSON.readTree(r.out()), "public.lag_events");
                assertThat(t.get("outcome").asText()).isEqualTo("stopped");
                assertThat(t.get("stoppedEarly").asText()).startsWith("replication lag ")
                        .endsWith("exceeds max-replication-lag 1MiB");
                assertThat(t.get("rowsDeleted").asLong()).isZero();
            }
        }
        assertThat(setup.pg().queryLong("SELECT count(*) FROM lag_events")).isEqualTo(310);
    }

    private static AuditRetention retention(PgwardenConfig config, JdbcPgCluster pg, ObjectStore store,
            org.pgwarden.crypto.KeyWrapper key, Metrics metrics) {
        org.pgwarden.repo.Keyring keyring = new org.pgwarden.repo.Keyring(store, "test", key,
                new org.pgwarden.crypto.DataKeyCache(Duration.ofMinutes(5), 16, Clock.systemUTC()), Clock.systemUTC());
        return new AuditRetention(config.auditRetention(), pg, store,
                new org.pgwarden.repo.SealedObjects(store, "test", keyring, org.pgwarden.codec.Codec.zstd(1)), metrics,
                AuditRetention.Checkpoint.NONE);
    }

    private static void loop(AtomicBoolean running, AtomicLong max, AtomicLong count, List<Throwable> failures,
            String sql) {
        try (Connection c = setup.pg().connect(); Statement s = c.createStatement()) {
            while (running.get()) {
                long t = System.nanoTime();
                s.execute(sql);
                max.accumulateAndGet((System.nanoTime() - t) / 1_000_000, Math::max);
                count.incrementAndGet();
            }
        } catch (Exception e) {
            failures.add(e);
        }
    }

    private static void assertCrashEventsFinished() throws Exception {
        assertThat(setup.pg().queryLong("SELECT count(*) FROM crash_events")).isEqualTo(100);
        List<ArchiveManifest> done = manifests("public.crash_events").stream()
                .filter(m -> m.state() == ArchiveManifest.State.DELETED).toList();
        assertThat(done.stream().mapToLong(ArchiveManifest::rows).sum()).isEqualTo(1500);
        assertThat(manifests("public.crash_events")).noneMatch(m -> m.state() == ArchiveManifest.State.ARCHIVED);
        setup.pg().sql("DROP TABLE IF EXISTS crash_events_restored");
        CliRun restore = setup.cli("retention", "restore", "--table", "public.crash_events", "--from",
                "2000-01-01T00:00:00Z", "--to", Instant.now().toString(), "--into", "public.crash_events_restored");
        assertThat(restore.exitCode()).as(restore.all()).isZero();
        // A primary key on the restored copy: a row archived twice would fail here or be counted below.
        setup.pg().sql("ALTER TABLE crash_events_restored ADD PRIMARY KEY (id)");
        assertSameRows("crash_events_before WHERE id <= 1500", "crash_events_restored");
    }

    private static void awaitFile(Path marker, Distribution d) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (!Files.exists(marker)) {
            assertThat(System.nanoTime()).as(d.transcript()).isLessThan(deadline);
            Thread.sleep(50);
        }
    }

    private static JsonNode table(JsonNode doc, String name) {
        for (JsonNode t : doc.get("tables")) {
            if (t.get("table").asText().equals(name)) {
                return t;
            }
        }
        throw new AssertionError("no table " + name + " in " + doc);
    }

    private static List<ArchiveManifest> manifests(String table) throws Exception {
        BackupSetup.Repository repo = setup.open();
        List<ArchiveManifest> out = new ArrayList<>();
        try (Stream<ObjectInfo> s = repo.store().list(RepositoryLayout.auditTablePrefix("postgres", table))) {
            for (ObjectInfo o : s.toList()) {
                if (RepositoryLayout.isAuditManifest(o.key())) {
                    try (InputStream in = repo.objects().open(o.key())) {
                        out.add(ArchiveManifest.parse(in.readAllBytes(), o.key().value()));
                    }
                }
            }
        }
        return out;
    }

    private static List<String> partitions() {
        List<String> out = new ArrayList<>();
        try (Connection c = setup.pg().connect(); Statement s = c.createStatement();
                var rs = s.executeQuery("SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid"
                        + " WHERE i.inhparent = 'audit_log'::regclass ORDER BY 1")) {
            while (rs.next()) {
                out.add(rs.getString(1));
            }
        } catch (java.sql.SQLException e) {
            throw new AssertionError(e);
        }
        return out;
    }

    /** An order-independent digest of every column of the selected rows. */
    private static String digest(String table, String where) {
        return setup.pg().queryString("SELECT count(*) || ':' || coalesce(md5(string_agg(t::text, '|' ORDER BY"
                + " t::text)), '') FROM " + table + " t WHERE " + where);
    }

    /** Both selections hold the same rows, every column equal, and the same number of them. */
    private static void assertSameRows(String expected, String actual) {
        long n = setup.pg().queryLong("SELECT count(*) FROM " + expected);
        assertThat(n).isPositive();
        assertThat(setup.pg().queryLong("SELECT count(*) FROM " + actual)).isEqualTo(n);
        assertThat(setup.pg().queryLong("SELECT count(*) FROM ((SELECT * FROM " + expected + ") EXCEPT ALL (SELECT *"
                + " FROM " + actual + ")) d")).isZero();
        assertThat(setup.pg().queryLong("SELECT count(*) FROM ((SELECT * FROM " + actual + ") EXCEPT ALL (SELECT *"
                + " FROM " + expected + ")) d")).isZero();
    }

    /** A repository that cannot be written or read: every transfer fails as a dead endpoint does. */
    private record Unreachable(ObjectStore delegate) implements ObjectStore {
        private PgwardenException down() {
            return new PgwardenException(ErrorCode.REPO_UNREACHABLE, "connection refused by '" + describe() + "'");
        }

        @Override
        public String describe() {
            return "s3://unreachable-bucket/audit-test";
        }

        @Override
        public Capabilities capabilities() {
            return delegate.capabilities();
        }

        @Override
        public ObjectInfo put(ObjectKey key, InputStream data) {
            throw down();
        }

        @Override
        public ObjectInfo create(ObjectKey key, InputStream data) {
            throw down();
        }

        @Override
        public InputStream get(ObjectKey key) {
            throw down();
        }

        @Override
        public InputStream get(ObjectKey key, long offset, long length) {
            throw down();
        }

        @Override
        public Optional<ObjectInfo> stat(ObjectKey key) {
            throw down();
        }

        /** Listing still answers (from a cache, say): the failure comes when the archive is uploaded. */
        @Override
        public Stream<ObjectInfo> list(String prefix) {
            return delegate.list(prefix);
        }

        @Override
        public void delete(Collection<ObjectKey> keys) {
            throw down();
        }

        @Override
        public void close() {
        }
    }
}
