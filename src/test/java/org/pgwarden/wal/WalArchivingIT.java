package org.pgwarden.wal;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import org.pgwarden.adapter.process.PgBinaries;
import org.pgwarden.adapter.process.ProcessRunner;
import org.pgwarden.repo.SealedObjects;
import org.pgwarden.repo.WalArchiveIndex;
import org.pgwarden.storage.ObjectInfo;
import org.pgwarden.testing.BackupSetup;
import org.pgwarden.testing.Distribution;
import org.pgwarden.testing.Http;

/**
 * WAL archiving as it runs in production: PostgreSQL 15 calls the real
 * {@code archive_command = 'bin/pgwarden --config X wal-push %p'} as the postgres user, and the
 * daemon (the built distribution, also as postgres) pushes ahead over archive_status. While the
 * daemon runs in the first test, the command is made to fail unless the native client answers
 * every call without starting a JVM; later tests run the command as configured by default.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class WalArchivingIT {
    @TempDir
    static Path dir;
    static BackupSetup setup;
    static Path socket;
    static Distribution daemon;
    static String metricsUrl;

    @BeforeAll
    static void startClusterAndDaemon() throws Exception {
        Path run = Files.createDirectories(dir.resolve("run"));
        Files.setPosixFilePermissions(run, PosixFilePermissions.fromString("rwx------"));
        BackupSetup.givePostgres(run);
        socket = run.resolve("wal.sock");
        // wal_keep_size keeps every segment in pg_wal, so archived copies can be compared with it.
        setup = BackupSetup.start(dir, Map.of("wal_keep_size", "2GB", "max_wal_size", "4GB",
                "checkpoint_timeout", "1h"), """
                admin:
                  listen: 127.0.0.1:0
                daemon:
                  shutdown-grace: 10s
                schedules:
                  health-check: "0 0 0 * * ?"
                wal:
                  socket: %s
                  push-ahead: 2
                  push-ahead-limit: 8
                  client-timeout: 30s
                  poll-interval: 50ms
                """.formatted(socket));
        assertThat(setup.cli("stanza-create").exitCode()).isZero();
        startDaemon();
        // The native client or nothing: a JVM started on this command's path fails for want of Java.
        givenArchiveCommand("PGWARDEN_WAL_CLIENT=native JAVA_HOME=" + dir.resolve("no-jvm-while-the-daemon-answers")
                + " " + BackupSetup.archiveCommand(setup.config()));
    }

    /** Sets archive_command and waits until the server runs with it. */
    static void givenArchiveCommand(String command) throws InterruptedException {
        setup.pg().sql("ALTER SYSTEM SET archive_command = '" + command.replace("'", "''") + "'",
                "SELECT pg_reload_conf()");
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!setup.pg().queryString("SHOW archive_command").equals(command)) {
            assertThat(System.nanoTime()).as("archive_command reloaded").isLessThan(deadline);
            Thread.sleep(50);
        }
    }

    static void startDaemon() throws Exception {
        daemon = Distribution.startAsPostgres(Map.of(), List.of("--config", setup.config().toString(), "daemon"));
        String line = daemon.awaitLine(l -> l.contains("metrics at http://"), Duration.ofSeconds(60));
        metricsUrl = line.substring(line.indexOf("http://"));
        assertThat(socket).exists();
    }

    @AfterAll
    static void stop() throws Exception {
        if (daemon != null) {
            daemon.close();
        }
        if (setup != null) {
            setup.close();
        }
    }

    @Test
    @Order(1)
    void everySegmentOfAFewHundredMiBArrivesIntactAndTheLookAheadPushedThem() throws Exception {
        assertThat(Files.getPosixFilePermissions(socket)).isEqualTo(PosixFilePermissions.fromString("rw-------"));
        String last = givenWal(12);
        awaitArchived(last);
        assertThat(failedCount()).isZero();
        assertArchiveMatchesPgWal();
        String metrics = Http.get(metricsUrl).body();
        assertThat(metrics).contains("pgwarden_wal_request_duration_seconds_bucket")
                .contains("pgwarden_wal_push_duration_seconds_bucket")
                .contains("pgwarden_wal_archive_lag_seconds").contains("pgwarden_wal_ready_files")
                .contains("pgwarden_wal_last_archived_timestamp_seconds")
                .contains("pgwarden_wal_last_archived_position_bytes");
        // The look-ahead did the pushing: with the native client a call arrives within milliseconds,
        // so it usually finds its segment in flight (answer "pushed") rather than already done, but
        // the push itself was started by the look-ahead (mode "ahead"), not by the request.
        assertThat(counter(metrics, "pgwarden_wal_push_duration_seconds_count", "mode=\"ahead\""))
                .as(metrics).isPositive();
    }

    @Test
    @Order(2)
    void stoppingTheDaemonMidStreamKeepsArchivingThroughTheDirectPath() throws Exception {
        // As installed: the launcher picks the native client, which hands over to the JVM one
        // (through the launcher) once no daemon listens.
        givenArchiveCommand(BackupSetup.archiveCommand(setup.config()));
        long failedBefore = failedCount();
        givenWal(3);
        assertThat(daemon.terminate(Duration.ofSeconds(30))).isIn(0, 143);
        daemon = null;
        assertThat(socket).doesNotExist();
        String last = givenWal(3);
        awaitArchived(last);
        assertThat(failedCount()).isEqualTo(failedBefore);
        assertArchiveMatchesPgWal();
        startDaemon();
    }

    @Test
    @Order(3)
    void anUnwritableRepositoryFailsTheCommandUntilItIsBackAndNothingIsMissing() throws Exception {
        Path walDir = setup.repository().resolve("wal").resolve("00000001");
        long failedBefore = failedCount();
        Files.setPosixFilePermissions(walDir, PosixFilePermissions.fromString("r-xr-xr-x"));
        String last;
        try {
            givenWal(2);
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (failedCount() == failedBefore && System.nanoTime() < deadline) {
                Thread.sleep(100);
            }
            assertThat(failedCount()).as("PostgreSQL saw archive_command fail").isGreaterThan(failedBefore);
            String metrics = Http.get(metricsUrl).body();
            assertThat(metrics).contains("pgwarden_wal_push_failures_total{reason=\"repo_");
        } finally {
            Files.setPosixFilePermissions(walDir, PosixFilePermissions.fromString("rwxr-xr-x"));
        }
        // A new segment wakes the archiver, which retries the failed one first.
        last = givenWal(1);
        awaitArchived(last);
        assertArchiveMatchesPgWal();
    }

    @Test
    @Order(4)
    void aDifferentSegmentUnderAnArchivedNameIsRefused() throws Exception {
        Path original = firstArchivedSegment();
        Path copy = givenCopy(original, bytes -> bytes[bytes.length - 100] ^= 1);
        Distribution push = Distribution.startAsPostgres(Map.of(),
                List.of("--config", setup.config().toString(), "wal-push", copy.toString()));
        assertThat(push.waitFor(Duration.ofSeconds(60))).as(push.transcript()).isEqualTo(4);
        assertThat(push.transcript()).contains("PGW080").contains("already archived with different content");
    }

    @Test
    @Order(5)
    void aSegmentOfAnotherClusterIsRefused() throws Exception {
        Path original = firstArchivedSegment();
        Path foreign = givenCopy(original, bytes -> ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN)
                .putLong(24, 42L));
        for (boolean direct : new boolean[]{false, true}) {
            List<String> args = new ArrayList<>(List.of("--config", setup.config().toString(), "wal-push"));
            if (direct) {
                args.add("--direct");
            }
            args.add(foreign.toString());
            Distribution push = Distribution.startAsPostgres(Map.of(), args);
            assertThat(push.waitFor(Duration.ofSeconds(60))).as(push.transcript()).isEqualTo(5);
            assertThat(push.transcript()).contains("PGW081").contains("system identifier 42");
        }
    }

    /**
     * A timeline switch: a streaming standby made with {@code pg_basebackup -R} is promoted and
     * archives, through the same archive_command and daemon, its timeline history file, the old
     * timeline's last segment as {@code .partial}, and the new timeline's segments.
     */
    @Test
    @Order(6)
    void aPromotedStandbyArchivesItsHistoryFileAndTheNewTimeline() throws Exception {
        PgBinaries bin = setup.pg().cluster().binaries();
        Path pgBasebackup = bin.path(PgBinaries.Program.POSTGRES).resolveSibling("pg_basebackup");
        Assumptions.assumeTrue(Files.isExecutable(pgBasebackup), "pg_basebackup is not installed next to postgres");
        ProcessRunner runner = ProcessRunner.forCurrentUser();
        Path parent = Files.createDirectories(dir.resolve("standby"));
        BackupSetup.givePostgres(parent);
        Path data = parent.resolve("data");
        int port;
        try (java.net.ServerSocket free = new java.net.ServerSocket(0)) {
            port = free.getLocalPort();
        }
        runner.run(List.of(pgBasebackup.toString(), "-h", "127.0.0.1", "-p",
                Integer.toString(setup.pg().cluster().port()), "-U", "postgres", "-D", data.toString(), "-R",
                "-X", "stream", "-c", "fast"), parent, Duration.ofSeconds(120));
        Files.writeString(data.resolve("postgresql.conf"), "\nport = " + port + "\n",
                java.nio.file.StandardOpenOption.APPEND);
        String pgCtl = bin.path(PgBinaries.Program.PG_CTL).toString();
        String psql = bin.path(PgBinaries.Program.PSQL).toString();
        String socketDir = setup.pg().cluster().socketDirectory().toString();
        java.util.function.Function<String, String> standbySql = q -> String.join("\n", runner.run(List.of(psql,
                "-h", socketDir, "-p", Integer.toString(port), "-U", "postgres", "-XAtq", "-c", q), parent,
                Duration.ofSeconds(60)).lastLines()).strip();
        runner.run(List.of(pgCtl, "-D", data.toString(), "-l", parent.resolve("log").toString(), "-w", "start"),
                parent, Duration.ofSeconds(60));
        try {
            setup.pg().sql("CREATE TABLE before_promote AS SELECT 1 AS x");
            runner.run(List.of(pgCtl, "-D", data.toString(), "-w", "promote"), parent, Duration.ofSeconds(60));
            standbySql.apply("CREATE TABLE after_promote AS SELECT g FROM generate_series(1, 100000) g");
            String last = standbySql.apply("SELECT pg_walfile_name(pg_current_wal_lsn())");
            standbySql.apply("SELECT pg_switch_wal()");
            assertThat(last).startsWith("00000002");
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            String status = "";
            while (System.nanoTime() < deadline) {
                status = standbySql.apply("SELECT coalesce(last_archived_wal, '') || ' ' || failed_count"
                        + " FROM pg_stat_archiver");
                if (status.compareTo(last) >= 0 && status.startsWith("00000002")) {
                    break;
                }
                Thread.sleep(200);
            }
            assertThat(status).as("the promoted standby archived %s", last).startsWith(last + " 0");
            Map<String, ObjectInfo> archived = new TreeMap<>();
            try (Stream<ObjectInfo> s = new WalArchiveIndex(setup.open().store()).listAll()) {
                s.forEach(i -> archived.put(WalArchiveIndex.fileName(i.key()), i));
            }
            assertThat(archived).containsKey("00000002.history").containsKey(last);
            assertThat(archived.keySet()).anyMatch(n -> n.startsWith("00000001") && n.endsWith(".partial"));
            try (InputStream in = setup.objects().open(archived.get("00000002.history").key())) {
                assertThat(in.readAllBytes()).isEqualTo(Files.readAllBytes(data.resolve("pg_wal/00000002.history")));
            }
        } finally {
            runner.runAllowingFailure(List.of(pgCtl, "-D", data.toString(), "-m", "immediate", "stop"), parent,
                    Duration.ofSeconds(60));
        }
    }

    // --- fixture helpers

    /** Writes about {@code segments} × 16 MiB of WAL and switches; returns the last segment it filled. */
    private static String givenWal(int segments) {
        setup.pg().sql("CREATE TABLE IF NOT EXISTS filler (id bigint, payload text)",
                "INSERT INTO filler SELECT g, md5(random()::text) || md5(g::text) FROM generate_series(1, "
                        + segments * 120_000 + ") g");
        String last = setup.pg().queryString("SELECT pg_walfile_name(pg_current_wal_lsn())");
        setup.pg().sql("SELECT pg_switch_wal()");
        return last;
    }

    private static long failedCount() {
        return setup.pg().queryLong("SELECT failed_count FROM pg_stat_archiver");
    }

    private static void awaitArchived(String segment) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        while (System.nanoTime() < deadline) {
            String last = setup.pg().queryString("SELECT coalesce(last_archived_wal, '') FROM pg_stat_archiver");
            if (last.length() == 24 && last.compareTo(segment) >= 0) {
                return;
            }
            Thread.sleep(100);
        }
        throw new AssertionError("segment " + segment + " was not archived within 90s: " + setup.pg().queryString(
                "SELECT row(pg_stat_archiver.*)::text FROM pg_stat_archiver"));
    }

    /** Every segment in pg_wal up to the last archived one is in the repository with the same bytes. */
    private static void assertArchiveMatchesPgWal() throws Exception {
        String lastArchived = setup.pg().queryString("SELECT last_archived_wal FROM pg_stat_archiver");
        Path pgWal = setup.pg().cluster().dataDirectory().resolve("pg_wal");
        SealedObjects objects = setup.objects();
        Map<String, ObjectInfo> archived = new TreeMap<>();
        try (Stream<ObjectInfo> s = new WalArchiveIndex(setup.open().store()).listAll()) {
            s.forEach(i -> archived.put(WalArchiveIndex.fileName(i.key()), i));
        }
        List<String> expected;
        try (Stream<Path> s = Files.list(pgWal)) {
            expected = s.map(p -> p.getFileName().toString()).filter(n -> n.length() == 24)
                    .filter(n -> n.compareTo(lastArchived) <= 0).sorted().toList();
        }
        // The first segments may have been removed before wal_keep_size applied; all later ones must be there.
        assertThat(expected).hasSizeGreaterThan(3);
        for (String name : expected) {
            assertThat(archived).as("segment %s in the repository", name).containsKey(name);
            byte[] original = Files.readAllBytes(pgWal.resolve(name));
            byte[] stored;
            try (InputStream in = objects.open(archived.get(name).key())) {
                stored = in.readAllBytes();
            }
            assertThat(Arrays.equals(original, stored)).as("segment %s decrypts to its original bytes", name).isTrue();
        }
    }

    private static Path firstArchivedSegment() throws IOException {
        Path pgWal = setup.pg().cluster().dataDirectory().resolve("pg_wal");
        String lastArchived = setup.pg().queryString("SELECT last_archived_wal FROM pg_stat_archiver");
        try (Stream<Path> s = Files.list(pgWal)) {
            return s.filter(p -> p.getFileName().toString().length() == 24)
                    .filter(p -> p.getFileName().toString().compareTo(lastArchived) < 0).sorted().findFirst()
                    .orElseThrow();
        }
    }

    private interface Change {
        void apply(byte[] bytes);
    }

    /** A copy of {@code segment} under the same name in a directory of its own, changed by {@code change}. */
    private static Path givenCopy(Path segment, Change change) throws IOException {
        Path d = Files.createTempDirectory(dir, "copy");
        Files.setPosixFilePermissions(d, PosixFilePermissions.fromString("rwxr-xr-x"));
        byte[] bytes = Files.readAllBytes(segment);
        change.apply(bytes);
        Path copy = d.resolve(segment.getFileName());
        Files.write(copy, bytes);
        BackupSetup.givePostgres(copy);
        return copy;
    }

    private static double counter(String metrics, String name, String label) {
        return metrics.lines().filter(l -> l.startsWith(name + "{") && l.contains(label))
                .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum();
    }
}
