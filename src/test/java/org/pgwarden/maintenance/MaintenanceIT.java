package org.pgwarden.maintenance;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pgwarden.adapter.jdbc.JdbcPgCluster;
import org.pgwarden.codec.Codec;
import org.pgwarden.common.ByteSize;
import org.pgwarden.config.MaintenanceConfig;
import org.pgwarden.config.MaintenanceConfig.Action;
import org.pgwarden.config.MaintenanceConfig.Thresholds;
import org.pgwarden.crypto.DataKeyCache;
import org.pgwarden.crypto.LocalKeyFileWrapper;
import org.pgwarden.job.JobContext;
import org.pgwarden.maintenance.Plan.Need;
import org.pgwarden.maintenance.WindowReport.Result;
import org.pgwarden.metrics.MeterNames;
import org.pgwarden.repo.Keyring;
import org.pgwarden.repo.RepositoryLayout;
import org.pgwarden.repo.SealedObjects;
import org.pgwarden.storage.ObjectInfo;
import org.pgwarden.testing.InMemoryObjectStore;
import org.pgwarden.testing.PostgresFixture;
import org.pgwarden.testing.RecordingMetrics;

/**
 * Maintenance windows against a real server (autovacuum off, so only the window cleans up):
 * planning from real statistics, VACUUM / ANALYZE / REINDEX CONCURRENTLY doing their work, a lock
 * held by the application making the item skip without the application waiting longer than the
 * lock timeout, a window shorter than the work cancelling its statement at the end, and a table
 * near wraparound planned first. Each test works on its own tables (or database).
 */
class MaintenanceIT {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path dir;
    private static PostgresFixture pg;
    private static JdbcPgCluster cluster;
    private static InMemoryObjectStore store;
    private static SealedObjects objects;

    @BeforeAll
    static void start() {
        pg = PostgresFixture.start(Map.of("autovacuum", "off"));
        cluster = new JdbcPgCluster(pg.postgresConfig(), Map.of(), org.pgwarden.metrics.Metrics.noop());
        store = new InMemoryObjectStore();
        Path key = dir.resolve("master.key");
        LocalKeyFileWrapper.generateKeyFile(key);
        Clock clock = Clock.systemUTC();
        Keyring keyring = new Keyring(store, "main", LocalKeyFileWrapper.open(key),
                new DataKeyCache(Duration.ofMinutes(1), 8, clock), clock);
        objects = new SealedObjects(store, "main", keyring, Codec.zstd(1));
    }

    @AfterAll
    static void stop() {
        if (cluster != null) {
            cluster.close();
        }
        if (pg != null) {
            pg.close();
        }
    }

    static MaintenanceConfig.Window window(String name, Duration duration, List<String> databases, List<String> include,
            Thresholds thresholds, Duration lockTimeout, Duration costDelay, int costLimit) {
        return new MaintenanceConfig.Window(name, "0 0 2 * * ?", duration, databases, EnumSet.allOf(Action.class),
                include, List.of(), thresholds, new MaintenanceConfig.Guards(Optional.empty(),
                        java.util.OptionalInt.empty(), true, Duration.ofMillis(200)), lockTimeout, costDelay, costLimit);
    }

    static Thresholds anySize() {
        return new Thresholds(10, ByteSize.ofBytes(0), 10, 30, OptionalLong.empty());
    }

    static Maintenance maintenance(MaintenanceConfig.Window w, RecordingMetrics metrics) {
        return new Maintenance(new MaintenanceConfig(List.of(w), 2), cluster, Optional.of(objects), () -> false,
                Clock.systemUTC(), metrics);
    }

    static JobContext context() {
        return JobContext.standalone("run-" + System.nanoTime(), MaintenanceJob.KIND, Clock.systemUTC());
    }

    /** Reads statistics in a new session, after the server has flushed the window's sessions' counts. */
    static long awaitStat(String query, java.util.function.LongPredicate until) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        long v;
        do {
            v = pg.queryLong(query);
            if (until.test(v)) {
                return v;
            }
            Thread.sleep(100);
        } while (System.nanoTime() < deadline);
        return v;
    }

    @Test
    void ranksABloatedTableFirstThenVacuumsAnalyzesAndReindexesConcurrently() throws Exception {
        pg.sql("CREATE TABLE bloated (id int PRIMARY KEY, pad text)",
                "INSERT INTO bloated SELECT g, repeat('x', 200) FROM generate_series(1, 20000) g",
                "ANALYZE bloated",
                "DELETE FROM bloated WHERE id % 10 < 6",
                "CREATE TABLE stale (id int, note text)",
                "INSERT INTO stale SELECT g, 'n' || g FROM generate_series(1, 5000) g",
                "CREATE TABLE indexed (id int, k bigint)",
                "CREATE INDEX indexed_k ON indexed (k)",
                "INSERT INTO indexed SELECT g, g FROM generate_series(1, 100000) g",
                "DELETE FROM indexed WHERE id % 10 <> 0");
        // In a session of its own, after the one above flushed its statistics (the DELETE's dead tuples).
        pg.sql("VACUUM ANALYZE indexed");
        long indexBefore = pg.queryLong("SELECT pg_relation_size('indexed_k')");
        MaintenanceConfig.Window w = window("nightly", Duration.ofMinutes(2), List.of("postgres"),
                List.of("public.bloated", "public.stale", "public.indexed"), anySize(), Duration.ofSeconds(2),
                Duration.ZERO, 200);
        RecordingMetrics metrics = new RecordingMetrics();
        Maintenance m = maintenance(w, metrics);

        Plan plan = m.plan(w);
        assertThat(plan.items()).extracting(Plan.Item::need, Plan.Item::sql).containsExactly(
                org.assertj.core.groups.Tuple.tuple(Need.DEAD_TUPLES, "VACUUM (ANALYZE) \"public\".\"bloated\""),
                org.assertj.core.groups.Tuple.tuple(Need.STALE_STATISTICS, "ANALYZE \"public\".\"stale\""),
                org.assertj.core.groups.Tuple.tuple(Need.INDEX_BLOAT,
                        "REINDEX INDEX CONCURRENTLY \"public\".\"indexed_k\""));
        assertThat(pg.queryLong("SELECT n_dead_tup FROM pg_stat_user_tables WHERE relname = 'bloated'"))
                .isEqualTo(12000);

        WindowReport r = m.run(w, context());
        assertThat(r.results()).as(r.lines().toString()).allMatch(i -> i.result() == Result.DONE);
        assertThat(r.outcome()).isEqualTo("completed");
        assertThat(awaitStat("SELECT n_dead_tup FROM pg_stat_user_tables WHERE relname = 'bloated'", v -> v == 0))
                .isZero();
        assertThat(pg.queryString("SELECT last_analyze IS NOT NULL FROM pg_stat_user_tables WHERE relname = 'stale'"))
                .isEqualTo("t");
        assertThat(awaitStat("SELECT n_mod_since_analyze FROM pg_stat_user_tables WHERE relname = 'stale'",
                v -> v == 0)).isZero();
        assertThat(pg.queryString("SELECT indisvalid FROM pg_index WHERE indexrelid = 'indexed_k'::regclass"))
                .isEqualTo("t");
        long indexAfter = pg.queryLong("SELECT pg_relation_size('indexed_k')");
        assertThat(indexAfter).isLessThan(indexBefore / 3);
        WindowReport.ItemResult reindex = r.results().get(2);
        assertThat(reindex.bytesBefore()).isEqualTo(indexBefore);
        assertThat(reindex.bytesAfter()).isEqualTo(indexAfter);
        assertThat(pg.queryLong("SELECT count(*) FROM pg_class WHERE relname LIKE 'indexed_k_cc%'")).isZero();
        assertThat(plan.findings()).extracting(Plan.Finding::kind, Plan.Finding::target)
                .contains(org.assertj.core.groups.Tuple.tuple("unused-index", "public.indexed_k"));

        assertThat(metrics.counter(MeterNames.MAINTENANCE_ITEMS, "action", "vacuum", "result", "done")).isEqualTo(1);
        assertThat(metrics.counter(MeterNames.MAINTENANCE_ITEMS, "action", "reindex", "result", "done")).isEqualTo(1);
        assertThat(metrics.counter(MeterNames.MAINTENANCE_WINDOWS, "window", "nightly", "outcome", "completed"))
                .isEqualTo(1);
        assertThat(metrics.counter(MeterNames.MAINTENANCE_RECLAIMED_BYTES, "action", "reindex"))
                .isEqualTo(indexBefore - indexAfter);
        assertThat(metrics.gauge(MeterNames.DATABASE_OLDEST_XID_AGE, "database", "postgres")).isPositive();
        assertThat(metrics.gauge(MeterNames.MAINTENANCE_TABLE_DEAD_TUPLES, "database", "postgres", "table",
                "public.bloated")).isEqualTo(12000);

        ObjectInfo stored = store.list(RepositoryLayout.MAINTENANCE_PREFIX + "nightly/").findFirst().orElseThrow();
        assertThat(stored.key()).isEqualTo(RepositoryLayout.maintenanceReport("nightly", r.started()));
        JsonNode report;
        try (var in = objects.open(stored.key())) {
            report = JSON.readTree(in);
        }
        assertThat(report.get("outcome").asText()).isEqualTo("completed");
        assertThat(report.get("items")).hasSize(3);
        assertThat(report.get("items").get(2).get("bytesBefore").asLong()).isEqualTo(indexBefore);
    }

    @Test
    void aConflictingLockSkipsTheItemAndNeverQueuesTheApplicationLongerThanTheLockTimeout() throws Exception {
        pg.sql("CREATE TABLE locked (id int, pad text)",
                "INSERT INTO locked SELECT g, repeat('y', 100) FROM generate_series(1, 20000) g",
                "DELETE FROM locked WHERE id % 2 = 0",
                "CREATE TABLE free (id int, pad text)",
                "INSERT INTO free SELECT g, repeat('y', 100) FROM generate_series(1, 2000) g",
                "DELETE FROM free WHERE id % 2 = 0");
        Duration lockTimeout = Duration.ofSeconds(1);
        MaintenanceConfig.Window w = window("locks", Duration.ofMinutes(2), List.of("postgres"),
                List.of("public.locked", "public.free"), anySize(), lockTimeout, Duration.ZERO, 200);
        Maintenance m = maintenance(w, new RecordingMetrics());
        try (Connection holder = pg.connect(); Statement h = holder.createStatement();
                Connection app = pg.connect(); Statement a = app.createStatement()) {
            // Like a CREATE INDEX of the application: SHARE conflicts with VACUUM's SHARE UPDATE EXCLUSIVE.
            holder.setAutoCommit(false);
            h.execute("LOCK TABLE locked IN SHARE MODE");
            CompletableFuture<WindowReport> run = CompletableFuture.supplyAsync(() -> m.run(w, context()));
            long waitStart = System.nanoTime();
            while (pg.queryLong("SELECT count(*) FROM pg_locks WHERE NOT granted"
                    + " AND relation = 'locked'::regclass") == 0) {
                assertThat(System.nanoTime() - waitStart).isLessThan(TimeUnit.SECONDS.toNanos(10));
                Thread.sleep(10);
            }
            // The vacuum now waits for its lock. Another SHARE request conflicts with the waiting vacuum,
            // so it queues behind it: for at most the lock timeout.
            app.setAutoCommit(false);
            long t0 = System.nanoTime();
            a.execute("LOCK TABLE locked IN SHARE MODE");
            Duration waited = Duration.ofNanos(System.nanoTime() - t0);
            app.rollback();
            // A plain read never waits at all.
            long t1 = System.nanoTime();
            a.execute("SELECT count(*) FROM locked");
            Duration read = Duration.ofNanos(System.nanoTime() - t1);
            app.rollback();
            WindowReport r = run.get(30, TimeUnit.SECONDS);
            holder.rollback();
            System.out.println("application waited " + waited.toMillis() + "ms behind the queued vacuum (lock timeout "
                    + lockTimeout.toMillis() + "ms); a read took " + read.toMillis() + "ms");
            assertThat(waited).isLessThan(lockTimeout.plusMillis(500));
            assertThat(read).isLessThan(Duration.ofMillis(500));
            assertThat(r.results()).extracting(i -> i.item().name(), WindowReport.ItemResult::result)
                    .containsExactly(org.assertj.core.groups.Tuple.tuple("locked", Result.SKIPPED),
                            org.assertj.core.groups.Tuple.tuple("free", Result.DONE));
            assertThat(r.results().get(0).detail()).startsWith("lock not granted within lock-timeout 1000ms");
            assertThat(r.results().get(0).duration()).isBetween(lockTimeout.minusMillis(100), lockTimeout.plusSeconds(1));
            assertThat(r.outcome()).isEqualTo("completed");
        }
    }

    @Test
    void aWindowShorterThanTheWorkCancelsTheRunningStatementAtItsEndAndDefersTheRest() throws Exception {
        pg.sql("CREATE TABLE slow (id int, pad text)",
                "INSERT INTO slow SELECT g, repeat('z', 200) FROM generate_series(1, 30000) g",
                "DELETE FROM slow WHERE id % 2 = 0",
                "CREATE TABLE later (id int, pad text)",
                "INSERT INTO later SELECT g, repeat('z', 200) FROM generate_series(1, 1000) g",
                "DELETE FROM later WHERE id % 2 = 0");
        // vacuum_cost_limit 1 with a 100ms delay: about 10 pages a second, for a table of about 900 pages.
        Duration duration = Duration.ofSeconds(3);
        MaintenanceConfig.Window w = window("short", duration, List.of("postgres"), List.of("public.slow", "public.later"),
                anySize(), Duration.ofSeconds(1), Duration.ofMillis(100), 1);
        RecordingMetrics metrics = new RecordingMetrics();
        Instant start = Instant.now();
        WindowReport r = maintenance(w, metrics).run(w, context());
        Duration took = Duration.between(start, Instant.now());
        System.out.println("window of " + duration.toMillis() + "ms returned after " + took.toMillis() + "ms");
        assertThat(r.results()).extracting(i -> i.item().name(), WindowReport.ItemResult::result)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("slow", Result.SKIPPED),
                        org.assertj.core.groups.Tuple.tuple("later", Result.DEFERRED));
        assertThat(r.results().get(0).detail()).startsWith("window end: cancelled after");
        assertThat(r.results().get(1).detail()).startsWith("window end at");
        assertThat(r.outcome()).isEqualTo("deferred");
        assertThat(r.stopReason()).hasValueSatisfying(s -> assertThat(s).startsWith("window end"));
        assertThat(took).isLessThan(duration.plusSeconds(2));
        assertThat(pg.queryLong("SELECT count(*) FROM pg_stat_activity WHERE query ILIKE 'VACUUM%'")).isZero();
        assertThat(metrics.gauge(MeterNames.MAINTENANCE_LAST_DEFERRED, "window", "short")).isEqualTo(1);
        assertThat(metrics.counter(MeterNames.MAINTENANCE_WINDOWS, "window", "short", "outcome", "deferred"))
                .isEqualTo(1);
    }

    @Test
    void aTableNearWraparoundIsPlannedFirstAndFrozen() throws Exception {
        pg.sql("CREATE DATABASE wrap");
        String url = pg.cluster().jdbcUrl().replaceAll("/[^/]*$", "/wrap");
        try (Connection c = DriverManager.getConnection(url, pg.cluster().superuser(), "");
                Statement st = c.createStatement()) {
            st.execute("CREATE TABLE aged (id int)");
            st.execute("INSERT INTO aged VALUES (1)");
            // Burn transaction IDs: each loop iteration commits one.
            st.execute("DO $$ BEGIN FOR i IN 1..1500 LOOP PERFORM txid_current(); COMMIT; END LOOP; END $$");
            st.execute("CREATE TABLE churned (id int, pad text)");
            st.execute("INSERT INTO churned SELECT g, repeat('w', 100) FROM generate_series(1, 20000) g");
            st.execute("DELETE FROM churned WHERE id % 2 = 0");
        }
        Thresholds lowWraparound = new Thresholds(10, ByteSize.ofBytes(0), 10, 30, OptionalLong.of(1000));
        MaintenanceConfig.Window w = new MaintenanceConfig.Window("wrap", "0 0 2 * * ?", Duration.ofMinutes(1),
                List.of("wrap"), EnumSet.of(Action.VACUUM, Action.FREEZE), List.of(), List.of(), lowWraparound,
                MaintenanceConfig.Guards.DEFAULTS, Duration.ofSeconds(2), Duration.ZERO, 200);
        Maintenance m = maintenance(w, new RecordingMetrics());
        Plan plan = m.plan(w);
        assertThat(plan.items()).extracting(Plan.Item::need, Plan.Item::sql).containsExactly(
                org.assertj.core.groups.Tuple.tuple(Need.WRAPAROUND, "VACUUM (FREEZE) \"public\".\"aged\""),
                org.assertj.core.groups.Tuple.tuple(Need.DEAD_TUPLES, "VACUUM \"public\".\"churned\""));
        assertThat(plan.items().get(0).reason()).startsWith("transaction ID age 15");
        WindowReport r = m.run(w, context());
        assertThat(r.results()).allMatch(i -> i.result() == Result.DONE);
        try (Connection c = DriverManager.getConnection(url, pg.cluster().superuser(), "");
                Statement st = c.createStatement();
                var rs = st.executeQuery("SELECT age(relfrozenxid) FROM pg_class WHERE relname = 'aged'")) {
            rs.next();
            assertThat(rs.getLong(1)).isLessThan(100);
            st.execute("DO $$ BEGIN FOR i IN 1..1200 LOOP PERFORM txid_current(); COMMIT; END LOOP; END $$");
        }
        // Without the freeze action the same table gets an aggressive vacuum (vacuum_freeze_table_age = 0).
        MaintenanceConfig.Window noFreeze = new MaintenanceConfig.Window("wrap", "0 0 2 * * ?", Duration.ofMinutes(1),
                List.of("wrap"), EnumSet.of(Action.VACUUM), List.of("public.aged"), List.of(), lowWraparound,
                MaintenanceConfig.Guards.DEFAULTS, Duration.ofSeconds(2), Duration.ZERO, 200);
        WindowReport aggressive = m.run(noFreeze, context());
        assertThat(aggressive.results()).singleElement().satisfies(i -> {
            assertThat(i.result()).isEqualTo(Result.DONE);
            assertThat(i.item().describeAction()).isEqualTo("vacuum (aggressive)");
        });
    }

    @Test
    void aReindexCancelledByTheWindowEndLeavesALeftoverThatTheNextWindowDropsWhileOtherInvalidIndexesAreOnlyReported()
            throws Exception {
        pg.sql("CREATE TABLE rebuilt (id int, k bigint)",
                "INSERT INTO rebuilt SELECT g, g FROM generate_series(1, 1000000) g",
                "CREATE INDEX rebuilt_k ON rebuilt (k)");
        pg.sql("DELETE FROM rebuilt WHERE id % 10 <> 0");
        pg.sql("VACUUM ANALYZE rebuilt");
        pg.sql("INSERT INTO rebuilt SELECT g, 1 FROM generate_series(1, 2) g");
        // A failed CREATE UNIQUE INDEX CONCURRENTLY leaves an invalid index that is no leftover of a rebuild.
        try {
            pg.sql("CREATE UNIQUE INDEX CONCURRENTLY rebuilt_unique ON rebuilt (k)");
        } catch (IllegalStateException expected) {
            assertThat(expected).hasMessageContaining("could not create unique index");
        }
        MaintenanceConfig.Window tooShort = new MaintenanceConfig.Window("rebuild", "0 0 2 * * ?",
                Duration.ofMillis(1200), List.of("postgres"), EnumSet.of(Action.REINDEX), List.of("public.rebuilt"),
                List.of(), anySize(), MaintenanceConfig.Guards.DEFAULTS, Duration.ofSeconds(1), Duration.ZERO, 200);
        Maintenance m = maintenance(tooShort, new RecordingMetrics());
        Plan plan = m.plan(tooShort);
        assertThat(plan.items()).extracting(Plan.Item::sql)
                .containsExactly("REINDEX INDEX CONCURRENTLY \"public\".\"rebuilt_k\"");
        assertThat(plan.findings()).extracting(Plan.Finding::kind, Plan.Finding::target)
                .contains(org.assertj.core.groups.Tuple.tuple("invalid-index", "public.rebuilt_unique"));
        // Slow the build down so that it cannot finish before the window closes.
        pg.sql("ALTER TABLE rebuilt SET (parallel_workers = 0)");
        try (Connection c = pg.connect(); Statement st = c.createStatement()) {
            st.execute("BEGIN");
            // An open snapshot makes REINDEX CONCURRENTLY wait for it after building the new index.
            st.execute("SELECT txid_current()");
            WindowReport first = m.run(tooShort, context());
            st.execute("ROLLBACK");
            assertThat(first.results()).singleElement().satisfies(r -> {
                assertThat(r.result()).isEqualTo(Result.SKIPPED);
                assertThat(r.detail()).contains("an invalid 'rebuilt_k_ccnew' index may remain");
            });
        }
        assertThat(pg.queryString("SELECT string_agg(relname || ':' || indisvalid, ',' ORDER BY relname)"
                + " FROM pg_index JOIN pg_class ON pg_class.oid = indexrelid WHERE indrelid = 'rebuilt'::regclass"))
                .isEqualTo("rebuilt_k:true,rebuilt_k_ccnew:false,rebuilt_unique:false");

        MaintenanceConfig.Window next = new MaintenanceConfig.Window("rebuild", "0 0 2 * * ?", Duration.ofMinutes(1),
                List.of("postgres"), EnumSet.of(Action.REINDEX), List.of("public.rebuilt"), List.of(), anySize(),
                MaintenanceConfig.Guards.DEFAULTS, Duration.ofSeconds(1), Duration.ZERO, 200);
        Plan again = m.plan(next);
        assertThat(again.items()).extracting(Plan.Item::need, Plan.Item::sql).containsExactly(
                org.assertj.core.groups.Tuple.tuple(Need.LEFTOVER, "DROP INDEX CONCURRENTLY \"public\".\"rebuilt_k_ccnew\""),
                org.assertj.core.groups.Tuple.tuple(Need.INDEX_BLOAT, "REINDEX INDEX CONCURRENTLY \"public\".\"rebuilt_k\""));
        WindowReport second = m.run(next, context());
        assertThat(second.results()).as(second.lines().toString()).allMatch(r -> r.result() == Result.DONE);
        assertThat(pg.queryString("SELECT string_agg(relname || ':' || indisvalid, ',' ORDER BY relname)"
                + " FROM pg_index JOIN pg_class ON pg_class.oid = indexrelid WHERE indrelid = 'rebuilt'::regclass"))
                .isEqualTo("rebuilt_k:true,rebuilt_unique:false");
        assertThat(second.findings()).extracting(Plan.Finding::target).contains("public.rebuilt_unique");
    }

    @Test
    void aGuardPausesTheWindowAndDefersTheWorkWhenItHoldsUntilTheEnd() throws Exception {
        pg.sql("CREATE TABLE guarded (id int, pad text)",
                "INSERT INTO guarded SELECT g, repeat('g', 100) FROM generate_series(1, 2000) g",
                "DELETE FROM guarded WHERE id % 2 = 0");
        MaintenanceConfig.Window w = new MaintenanceConfig.Window("guarded", "0 0 2 * * ?", Duration.ofMillis(1500),
                List.of("postgres"), EnumSet.of(Action.VACUUM), List.of("public.guarded"), List.of(), anySize(),
                new MaintenanceConfig.Guards(Optional.empty(), java.util.OptionalInt.of(0), true,
                        Duration.ofMillis(200)), Duration.ofSeconds(1), Duration.ZERO, 200);
        try (Connection c = pg.connect(); Statement st = c.createStatement()) {
            CompletableFuture<Boolean> busy = CompletableFuture.supplyAsync(() -> {
                try {
                    return st.execute("SELECT pg_sleep(5)");
                } catch (java.sql.SQLException e) {
                    return false;
                }
            });
            while (pg.queryLong("SELECT count(*) FROM pg_stat_activity WHERE query = 'SELECT pg_sleep(5)'") == 0) {
                Thread.sleep(20);
            }
            WindowReport r = maintenance(w, new RecordingMetrics()).run(w, context());
            st.cancel();
            busy.get(10, TimeUnit.SECONDS);
            assertThat(r.results()).singleElement().satisfies(i -> {
                assertThat(i.result()).isEqualTo(Result.DEFERRED);
                assertThat(i.detail()).isEqualTo("guard held until the window end: 1 active sessions, more than"
                        + " guards.max-active-sessions 0");
            });
            assertThat(r.outcome()).isEqualTo("deferred");
        }
        MaintenanceConfig.Window backupGuard = new MaintenanceConfig.Window("guarded", "0 0 2 * * ?",
                Duration.ofMillis(600), List.of("postgres"), EnumSet.of(Action.VACUUM), List.of("public.guarded"),
                List.of(), anySize(), MaintenanceConfig.Guards.DEFAULTS, Duration.ofSeconds(1), Duration.ZERO, 200);
        Maintenance duringBackup = new Maintenance(new MaintenanceConfig(List.of(backupGuard), 2), cluster,
                Optional.empty(), () -> true, Clock.systemUTC(), new RecordingMetrics());
        assertThat(duringBackup.run(backupGuard, context()).results()).singleElement().satisfies(i ->
                assertThat(i.detail()).isEqualTo("guard held until the window end: a backup of this stanza is running"
                        + " (guards.skip-during-backup)"));
    }

    @Test
    void withPgstattupleTheMeasuredDensityRanksIndexesAndExclusionConstraintIndexesAreNeverRebuilt() throws Exception {
        pg.sql("CREATE DATABASE measured");
        String url = pg.cluster().jdbcUrl().replaceAll("/[^/]*$", "/measured");
        try (Connection c = DriverManager.getConnection(url, pg.cluster().superuser(), "");
                Statement st = c.createStatement()) {
            st.execute("CREATE EXTENSION pgstattuple");
            st.execute("CREATE TABLE m (id int, k bigint)");
            st.execute("CREATE INDEX m_k ON m (k)");
            st.execute("CREATE TABLE ex (k int, EXCLUDE USING btree (k WITH =))");
            st.execute("INSERT INTO m SELECT g, g FROM generate_series(1, 100000) g");
            st.execute("INSERT INTO ex SELECT g FROM generate_series(1, 100000) g");
            st.execute("DELETE FROM m WHERE id % 10 <> 0");
            st.execute("DELETE FROM ex WHERE k % 10 <> 0");
        }
        try (Connection c = DriverManager.getConnection(url, pg.cluster().superuser(), "");
                Statement st = c.createStatement()) {
            st.execute("VACUUM ANALYZE m");
            st.execute("VACUUM ANALYZE ex");
        }
        MaintenanceConfig.Window w = new MaintenanceConfig.Window("measured", "0 0 2 * * ?", Duration.ofMinutes(1),
                List.of("measured"), EnumSet.of(Action.REINDEX), List.of(), List.of(), anySize(),
                MaintenanceConfig.Guards.DEFAULTS, Duration.ofSeconds(1), Duration.ZERO, 200);
        Plan plan = maintenance(w, new RecordingMetrics()).plan(w);
        assertThat(plan.items()).extracting(Plan.Item::target).containsExactly("public.m_k");
        assertThat(plan.items().get(0).reason()).contains("pgstattuple leaf density");
    }
}
