package org.pgwarden.restore;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.pgwarden.repo.BackupCatalog;
import org.pgwarden.repo.BackupInfo;
import org.pgwarden.repo.WalArchiveIndex;
import org.pgwarden.testing.BackupSetup;
import org.pgwarden.testing.CliRun;
import org.pgwarden.testing.RestoredCluster;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A restored cluster is promoted onto timeline 2 and archives into the same repository, while the
 * original keeps writing, and is backed up, on timeline 1. A restore to a point on timeline 2
 * starts from a backup that can reach it and follows the history file: it holds what timeline 2
 * had committed at that point, and nothing of timeline 1's future; timeline 1 stays restorable.
 */
class RestoreTimelineIT {
    private static final String ROWS = "SELECT string_agg(id || ':' || origin, ',' ORDER BY id) FROM t";

    @TempDir
    static Path dir;
    private static BackupSetup setup;
    private static Path restores;
    /** On timeline 2: the rows at the target, the time and LSN just after they committed. */
    private static String atTarget;
    private static String targetTime;
    private static String targetLsn;
    private static String timeline2End;
    private static String timeline1End;
    private static String beforeBranch;
    private static String afterBranch;

    @BeforeAll
    static void start() throws Exception {
        setup = BackupSetup.start(dir, Map.of(), "");
        restores = Files.createDirectories(dir.resolve("restores"));
        Files.setPosixFilePermissions(restores, PosixFilePermissions.fromString("rwxr-xr-x"));
        setup.pg().sql("CREATE TABLE t (id int PRIMARY KEY, origin text NOT NULL)",
                "INSERT INTO t SELECT g, 'base' FROM generate_series(1, 10) g");
        assertThat(setup.cli("stanza-create").exitCode()).isZero();
        CliRun full = setup.cli("backup", "--type", "full");
        assertThat(full.exitCode()).as(full.all()).isZero();
        // Timeline 1 goes on after the backup: none of this may appear on timeline 2.
        setup.pg().sql("INSERT INTO t SELECT g, 'timeline-1' FROM generate_series(100, 110) g");
        awaitArchived(setup.pg().queryString("SELECT pg_walfile_name(pg_switch_wal())"));

        Path branch = restores.resolve("branch");
        restore(branch, "--target", "immediate", "--target-action", "promote");
        try (RestoredCluster c = RestoredCluster.startArchiving(branch, setup.pg().cluster().binaries())) {
            assertThat(c.queryString("SELECT substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8)"))
                    .as("promoted onto a new timeline").isEqualTo("00000002");
            // A backup of timeline 1 taken after the branch: it ends before the targets below, but
            // recovery from it cannot reach timeline 2, so a restore on timeline 2 must not use it.
            CliRun second = setup.cli("backup", "--type", "full");
            assertThat(second.exitCode()).as(second.all()).isZero();
            List<BackupInfo> backups = new BackupCatalog(setup.open().store(), setup.objects()).list();
            assertThat(backups).hasSize(2);
            beforeBranch = backups.get(0).label().toString();
            afterBranch = backups.get(1).label().toString();
            c.sql("INSERT INTO t SELECT g, 'timeline-2' FROM generate_series(200, 210) g");
            atTarget = c.queryString(ROWS);
            targetLsn = c.queryString("SELECT pg_current_wal_lsn()");
            targetTime = c.queryString("SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC',"
                    + " 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')");
            Thread.sleep(1200);
            c.sql("INSERT INTO t SELECT g, 'timeline-2-later' FROM generate_series(300, 310) g");
            timeline2End = c.queryString(ROWS);
            String last = c.queryString("SELECT pg_walfile_name(pg_switch_wal())");
            assertThat(last).startsWith("00000002");
            awaitArchived(last);
            awaitArchived("00000002.history");
        }
        // Timeline 1 writes again after the branch, so "latest" has two futures to choose from.
        setup.pg().sql("INSERT INTO t SELECT g, 'timeline-1-after-branch' FROM generate_series(400, 410) g");
        timeline1End = setup.pg().queryString(ROWS);
        awaitArchived(setup.pg().queryString("SELECT pg_walfile_name(pg_switch_wal())"));
    }

    @AfterAll
    static void stop() {
        setup.close();
    }

    @Test
    void aTimeTargetOnTimelineTwoRecoversWhatTimelineTwoHadCommitted() throws Exception {
        CliRun dry = setup.cli("restore", "--pgdata", restores.resolve("unused").toString(), "--target-time",
                targetTime, "--dry-run");
        assertThat(dry.exitCode()).as(dry.all()).isZero();
        assertThat(dry.out()).contains("would restore backup " + beforeBranch)
                .contains("1 backup(s) not on the history of timeline 2 left out");
        String rows = restoreAndRead("time", "--target-time", targetTime, "--target-timeline", "latest",
                "--target-action", "promote");
        assertThat(rows).isEqualTo(atTarget).contains("200:timeline-2").doesNotContain("timeline-1")
                .doesNotContain("timeline-2-later");
    }

    @Test
    void anLsnTargetOnTimelineTwoRecoversWhatTimelineTwoHadCommitted() throws Exception {
        String rows = restoreAndRead("lsn", "--target-lsn", targetLsn, "--target-timeline", "2",
                "--target-action", "promote");
        assertThat(rows).isEqualTo(atTarget);
    }

    @Test
    void latestOnTimelineTwoReplaysAllOfTimelineTwo() throws Exception {
        assertThat(restoreAndRead("latest", "--target-timeline", "2")).isEqualTo(timeline2End)
                .doesNotContain("timeline-1");
    }

    @Test
    void timelineOneStaysRestorableFromTheBackupTakenAfterTheBranch() throws Exception {
        CliRun dry = setup.cli("restore", "--pgdata", restores.resolve("unused").toString(), "--target-timeline", "1",
                "--dry-run");
        assertThat(dry.out()).as(dry.all()).contains("would restore backup " + afterBranch);
        assertThat(restoreAndRead("timeline-1", "--target-timeline", "1")).isEqualTo(timeline1End)
                .contains("timeline-1-after-branch").doesNotContain("timeline-2");
    }

    @Test
    void aBackupThatCannotReachTheTargetTimelineIsRefused() {
        Path pgdata = restores.resolve("refused");
        CliRun r = setup.cli("restore", "--pgdata", pgdata.toString(), "--set", afterBranch, "--target-timeline", "2");
        assertThat(r.exitCode()).as(r.all()).isEqualTo(2);
        assertThat(r.err()).contains("backup " + afterBranch + " (timeline 1, ended at LSN ")
                .contains("is not on the history of timeline 2").contains("--target-timeline 1");
        assertThat(pgdata).doesNotExist();

        CliRun unknown = setup.cli("restore", "--pgdata", pgdata.toString(), "--target-timeline", "7");
        assertThat(unknown.exitCode()).as(unknown.all()).isNotZero();
        assertThat(unknown.err()).contains("timeline 7 has no history file '00000007.history' in the archive");
    }

    private static String restoreAndRead(String name, String... args) throws Exception {
        Path pgdata = restores.resolve(name);
        restore(pgdata, args);
        try (RestoredCluster c = RestoredCluster.start(pgdata, setup.pg().cluster().binaries())) {
            return c.queryString(ROWS);
        }
    }

    private static void restore(Path pgdata, String... args) {
        String[] all = new String[args.length + 3];
        all[0] = "restore";
        all[1] = "--pgdata";
        all[2] = pgdata.toString();
        System.arraycopy(args, 0, all, 3, args.length);
        CliRun r = setup.cli(all);
        assertThat(r.exitCode()).as(r.all()).isZero();
    }

    private static void awaitArchived(String name) throws InterruptedException {
        WalArchiveIndex index = new WalArchiveIndex(setup.open().store());
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (index.find(name).isEmpty()) {
            assertThat(System.nanoTime()).as("%s archived in time", name).isLessThan(deadline);
            Thread.sleep(100);
        }
    }
}
