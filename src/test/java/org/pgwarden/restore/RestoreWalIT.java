package org.pgwarden.restore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.pgwarden.common.ErrorCode;
import org.pgwarden.common.PgwardenException;
import org.pgwarden.config.WalFetchConfig.WalSource;
import org.pgwarden.job.JobContext;
import org.pgwarden.metrics.MeterNames;
import org.pgwarden.pg.Lsn;
import org.pgwarden.repo.WalArchiveIndex;
import org.pgwarden.testing.BackupSetup;
import org.pgwarden.testing.CliRun;
import org.pgwarden.testing.RecordingMetrics;
import org.pgwarden.testing.RestoredCluster;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * The WAL side of restore against a real server: WAL staged before PostgreSQL starts serves a
 * point-in-time recovery, and a segment missing from the archive stops the restore before it
 * writes anything, naming the segment and how far the archived WAL reaches.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class RestoreWalIT {
    private static final String DIGEST = "SELECT md5(string_agg(aid::text || ':' || abalance::text, ',' ORDER BY aid))"
            + " FROM pgbench_accounts";

    @TempDir
    static Path dir;
    private static BackupSetup setup;
    private static Path restores;
    private static String atTarget;
    private static String targetTime;
    /** A segment archived after the target, with more WAL after it. */
    private static String middleSegment;
    private static String endLsn;

    @BeforeAll
    static void start() throws Exception {
        // prestage is chosen by configuration here; the CLI overrides it where a test says so
        setup = BackupSetup.start(dir, Map.of(), "restore:\n  wal-source: prestage\n");
        restores = Files.createDirectories(dir.resolve("restores"));
        Files.setPosixFilePermissions(restores, PosixFilePermissions.fromString("rwxr-xr-x"));
        setup.pg().loadPgbench(2);
        assertThat(setup.cli("stanza-create").exitCode()).isZero();
        CliRun full = setup.cli("backup", "--type", "full");
        assertThat(full.exitCode()).as(full.all()).isZero();

        setup.pg().sql("UPDATE pgbench_accounts SET abalance = abalance + 7 WHERE aid % 3 = 0");
        atTarget = setup.pg().queryString(DIGEST);
        targetTime = setup.pg().queryString("SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC',"
                + " 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')");
        Thread.sleep(1200);
        setup.pg().queryString("SELECT pg_walfile_name(pg_switch_wal())");
        setup.pg().sql("UPDATE pgbench_accounts SET abalance = abalance - 5 WHERE aid % 5 = 0");
        middleSegment = setup.pg().queryString("SELECT pg_walfile_name(pg_switch_wal())");
        setup.pg().sql("UPDATE pgbench_accounts SET abalance = abalance + 1 WHERE aid % 7 = 0");
        endLsn = setup.pg().queryString("SELECT pg_current_wal_lsn()::text");
        String last = setup.pg().queryString("SELECT pg_walfile_name(pg_switch_wal())");
        awaitArchived(last);
    }

    @AfterAll
    static void stop() {
        setup.close();
    }

    private static void awaitArchived(String segment) throws InterruptedException {
        WalArchiveIndex index = new WalArchiveIndex(setup.open().store());
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (index.find(segment).isEmpty()) {
            assertThat(System.nanoTime()).as("segment %s archived in time", segment).isLessThan(deadline);
            Thread.sleep(100);
        }
    }

    private static CliRun restore(Path pgdata, String... args) {
        String[] all = new String[args.length + 3];
        all[0] = "restore";
        all[1] = "--pgdata";
        all[2] = pgdata.toString();
        System.arraycopy(args, 0, all, 3, args.length);
        return setup.cli(all);
    }

    @Test
    @Order(1)
    void prestagedWalRecoversToATimeTarget() throws Exception {
        Path pgdata = restores.resolve("prestaged");
        CliRun dry = restore(restores.resolve("unused"), "--target-time", targetTime, "--dry-run");
        assertThat(dry.exitCode()).as(dry.all()).isZero();
        assertThat(dry.out()).contains("would restore backup").contains("WAL: timeline 1, ")
                .contains("would stage ");
        assertThat(restores.resolve("unused")).doesNotExist();

        CliRun r = restore(pgdata, "--target-time", targetTime, "--target-action", "promote");
        assertThat(r.exitCode()).as(r.all()).isZero();
        assertThat(r.out()).startsWith("✔ restored backup ").contains("WAL prestage").contains("staged WAL: ")
                .contains("next: start PostgreSQL").contains("then check:");
        Path staged = pgdata.resolve("pgwarden-wal");
        List<String> before = names(staged);
        assertThat(before).contains(middleSegment);
        String first = before.stream().filter(n -> n.length() == 24).sorted().findFirst().orElseThrow();
        assertThat(Files.readString(pgdata.resolve("postgresql.auto.conf")))
                .contains("restore_command = 'if [ -f ''" + staged + "''/%f ]; then mv -f")
                .contains("wal-fetch %f %p");

        try (RestoredCluster c = RestoredCluster.start(pgdata, setup.pg().cluster().binaries())) {
            assertThat(c.queryString(DIGEST)).as(Files.readString(c.logFile())).isEqualTo(atTarget);
        }
        // recovery took its first segment from the staging directory (a rename into pg_wal)
        assertThat(names(staged)).doesNotContain(first);
    }

    @Test
    @Order(2)
    void aMissingSegmentFailsTheRestoreBeforeItWritesNamingTheSegmentAndTheLastReachableLsn() throws Exception {
        Path object;
        try (Stream<Path> s = Files.list(setup.repository().resolve("wal").resolve("00000001"))) {
            object = s.filter(p -> p.getFileName().toString().startsWith(middleSegment + "-")).findFirst()
                    .orElseThrow();
        }
        Path aside = dir.resolve("aside");
        Files.move(object, aside, StandardCopyOption.ATOMIC_MOVE);
        try {
            Path pgdata = restores.resolve("gap");
            CliRun r = restore(pgdata, "--target-lsn", endLsn, "--wal-source", "fetch");
            assertThat(r.exitCode()).as(r.all()).isEqualTo(1);
            assertThat(r.err()).contains("PGW084").contains("WAL segment " + middleSegment + " is not archived")
                    .contains("readable up to LSN ").contains("stored at ");
            assertThat(pgdata).doesNotExist();

            CliRun dry = restore(pgdata, "--target-lsn", endLsn, "--dry-run");
            assertThat(dry.exitCode()).as(dry.all()).isEqualTo(1);
            assertThat(dry.out()).contains("the restore would fail").contains(middleSegment);

            RecordingMetrics metrics = new RecordingMetrics();
            assertThatThrownBy(() -> restorer(metrics).run(request(pgdata, new RecoveryTarget.Lsn(Lsn.parse(endLsn)),
                    WalSource.FETCH), JobContext.standalone("t", "restore", Clock.systemUTC())))
                    .isInstanceOfSatisfying(PgwardenException.class, e -> assertThat(e.errorCode())
                            .isEqualTo(ErrorCode.WAL_GAP));
            assertThat(metrics.observations()).containsExactly(RecordingMetrics.id(MeterNames.RESTORE_DURATION,
                    "outcome", "failed"));

            CliRun latest = restore(pgdata, "--dry-run");
            assertThat(latest.exitCode()).as(latest.all()).isZero();
            assertThat(latest.out()).contains("WARNING: recovery will stop at LSN ").contains(middleSegment);
            assertThat(pgdata).doesNotExist();
        } finally {
            Files.move(aside, object, StandardCopyOption.ATOMIC_MOVE);
        }
    }

    @Test
    @Order(3)
    void aRestoreRecordsItsBytesDurationAndOutcome() throws Exception {
        RecordingMetrics metrics = new RecordingMetrics();
        Path pgdata = restores.resolve("measured");
        Restore.Result r = restorer(metrics).run(request(pgdata, RecoveryTarget.immediate(), WalSource.PRESTAGE),
                JobContext.standalone("t", "restore", Clock.systemUTC()));
        assertThat(metrics.observations()).containsExactly(RecordingMetrics.id(MeterNames.RESTORE_DURATION,
                "outcome", "succeeded"));
        assertThat(metrics.total(MeterNames.RESTORE_BYTES, "what", "files")).isEqualTo(r.bytesWritten()).isPositive();
        // immediate needs only the backup's own WAL: staging stops at its stop segment
        assertThat(r.staged()).hasValueSatisfying(s -> {
            assertThat(s.files()).isPositive().isLessThan(4);
            assertThat(metrics.total(MeterNames.RESTORE_BYTES, "what", "wal")).isEqualTo(s.bytes());
        });
        assertThat(names(pgdata.resolve("pgwarden-wal"))).doesNotContain(middleSegment);
    }

    @Test
    @Order(5)
    void recoveryReadsItsLastStagedSegmentAgainWithoutTheRepository() throws Exception {
        Path asked = Files.createDirectories(dir.resolve("fallback-calls"));
        Files.setPosixFilePermissions(asked, PosixFilePermissions.fromString("rwxrwxrwx"));
        Path calls = asked.resolve("calls");
        // records what reaches the repository fallback and answers "not archived", so PostgreSQL
        // would fall back to pg_wal by itself: only the log and this record tell the two apart
        String fallback = "sh -c \"echo %f >> " + calls + "; exit 1\"";
        Path pgdata = restores.resolve("read-again");
        Restore.Request request = new Restore.Request(pgdata, Optional.empty(), RecoveryTarget.immediate(),
                RecoveryTarget.Action.PROMOTE, Optional.empty(), false, Map.of(), fallback, "postgres", 2,
                WalSource.PRESTAGE, Optional.empty());
        Restore.Result r = restorer(new RecordingMetrics()).run(request,
                JobContext.standalone("t", "restore", Clock.systemUTC()));
        List<String> staged = Files.readAllLines(pgdata.resolve("pgwarden-wal").resolve(WalStaging.STAGED_LIST));
        assertThat(staged).hasSize((int) r.staged().orElseThrow().files());

        try (RestoredCluster c = RestoredCluster.start(pgdata, setup.pg().cluster().binaries())) {
            assertThat(c.queryString("SELECT pg_is_in_recovery()::text")).isEqualTo("false");
            String log = Files.readString(c.logFile());
            // the end of recovery reads the segment it stopped in a second time: served from pg_wal
            List<String> readTwice = staged.stream().filter(n -> n.length() == 24)
                    .filter(n -> log.split("restored log file \"" + n + "\" from archive", -1).length == 3).toList();
            assertThat(readTwice).as(log).hasSize(1);
            List<String> fallbackCalls = Files.exists(calls) ? Files.readAllLines(calls) : List.of();
            assertThat(fallbackCalls).as(log).doesNotContainAnyElementsOf(staged);
        }
    }

    @Test
    @Order(4)
    void aDamagedSegmentStagedAlongsideTheDataFilesFailsTheRestoreAndLeavesNothingToStartFrom() throws Exception {
        Path object;
        try (Stream<Path> s = Files.list(setup.repository().resolve("wal").resolve("00000001"))) {
            object = s.filter(p -> p.getFileName().toString().startsWith(middleSegment + "-")).findFirst()
                    .orElseThrow();
        }
        byte[] original = Files.readAllBytes(object);
        byte[] damaged = original.clone();
        damaged[damaged.length / 2] ^= 0x5a;
        Files.write(object, damaged);
        try {
            Path pgdata = restores.resolve("damaged-wal");
            CliRun r = restore(pgdata, "--target-lsn", endLsn, "--wal-source", "prestage", "--in-process");
            assertThat(r.exitCode()).as(r.all()).isEqualTo(4);
            assertThat(r.err()).contains(middleSegment).contains("failed authentication");
            assertThat(r.out()).doesNotContain("✔ restored");
            // whether the data files were all written or not when staging failed, PostgreSQL has
            // nothing to start from: no control file, no recovery settings
            assertThat(pgdata.resolve("global").resolve("pg_control")).doesNotExist();
            assertThat(pgdata.resolve("recovery.signal")).doesNotExist();
            assertThat(pgdata.resolve("backup_label")).doesNotExist();
        } finally {
            Files.write(object, original);
        }
    }

    private static Restore restorer(RecordingMetrics metrics) {
        BackupSetup.Repository repo = setup.open();
        return new Restore(repo.store(), repo.objects(), Clock.systemUTC(), metrics);
    }

    private static Restore.Request request(Path pgdata, RecoveryTarget target, WalSource source) {
        return new Restore.Request(pgdata, Optional.empty(), target, RecoveryTarget.Action.PROMOTE, Optional.empty(),
                false, Map.of(), "false", "postgres", 2, source, Optional.empty());
    }

    private static List<String> names(Path directory) throws Exception {
        try (Stream<Path> s = Files.list(directory)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }
}
