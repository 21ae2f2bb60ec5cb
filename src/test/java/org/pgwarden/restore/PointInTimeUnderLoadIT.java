package org.pgwarden.restore;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.pgwarden.adapter.process.PgBinaries;
import org.pgwarden.adapter.process.ProcessRunner;
import org.pgwarden.repo.WalArchiveIndex;
import org.pgwarden.testing.BackupSetup;
import org.pgwarden.testing.CliRun;
import org.pgwarden.testing.RestoredCluster;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The test the project stands on: pgbench writes continuously while a full and two incremental
 * backups are taken and WAL is archived; at several moments the content of every pgbench table is
 * recorded with its time. Each moment restored from the repository alone, recovered and started,
 * holds exactly that content.
 */
class PointInTimeUnderLoadIT {
    /** One digest over every pgbench table, deterministic for a given content. */
    private static final String DIGEST = "SELECT md5("
            + "(SELECT string_agg(aid || ':' || abalance, ',' ORDER BY aid) FROM pgbench_accounts) || '|' || "
            + "(SELECT string_agg(tid || ':' || tbalance, ',' ORDER BY tid) FROM pgbench_tellers) || '|' || "
            + "(SELECT string_agg(bid || ':' || bbalance, ',' ORDER BY bid) FROM pgbench_branches) || '|' || "
            + "(SELECT count(*) || ':' || coalesce(sum(delta), 0) FROM pgbench_history))";

    private record Moment(String time, String digest) {
    }

    @TempDir
    Path dir;
    private BackupSetup setup;
    private Process load;

    @AfterEach
    void stop() {
        if (load != null) {
            load.destroyForcibly();
        }
        if (setup != null) {
            setup.close();
        }
    }

    @Test
    void everyRecordedMomentRestoresToExactlyWhatWasCommitted() throws Exception {
        setup = BackupSetup.start(dir, Map.of(), "", "  parallelism: 2\n");
        Path restores = Files.createDirectories(dir.resolve("restores"));
        Files.setPosixFilePermissions(restores, PosixFilePermissions.fromString("rwxr-xr-x"));
        setup.pg().loadPgbench(2);
        assertThat(setup.cli("stanza-create").exitCode()).isZero();
        load = startLoad(60);

        List<Moment> moments = new ArrayList<>();
        Thread.sleep(1500);
        backup("full");
        moments.add(record());
        Thread.sleep(2000);
        backup("incr");
        moments.add(record());
        Thread.sleep(2000);
        moments.add(record());
        backup("incr");
        Thread.sleep(1500);
        moments.add(record());

        load.destroy();
        load.waitFor(30, TimeUnit.SECONDS);
        String endDigest = setup.pg().queryString(DIGEST);
        awaitArchived(setup.pg().queryString("SELECT pg_walfile_name(pg_switch_wal())"));

        assertThat(moments.stream().map(Moment::digest).distinct().count()).as("the load changed the data between"
                + " moments, so each restore proves its own point").isEqualTo(moments.size());
        for (int i = 0; i < moments.size(); i++) {
            Moment m = moments.get(i);
            assertThat(restoreAndDigest(restores.resolve("moment-" + i), "--target-time", m.time(),
                    "--target-action", "promote")).as("content at moment %d (%s)", i, m.time()).isEqualTo(m.digest());
        }
        assertThat(restoreAndDigest(restores.resolve("latest"))).as("latest").isEqualTo(endDigest);
    }

    private void backup(String type) {
        CliRun r = setup.cli("backup", "--type", type);
        assertThat(r.exitCode()).as(r.all()).isZero();
    }

    /**
     * Blocks the writers for an instant: the time taken under the lock separates commits that
     * happened before it (in the digest, and recovered to that time) from those after it.
     */
    private Moment record() throws Exception {
        try (Connection c = setup.pg().connect()) {
            c.setAutoCommit(false);
            try (Statement st = c.createStatement()) {
                st.execute("LOCK TABLE pgbench_accounts, pgbench_tellers, pgbench_branches, pgbench_history"
                        + " IN EXCLUSIVE MODE");
                String time;
                try (ResultSet rs = st.executeQuery("SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC',"
                        + " 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')")) {
                    rs.next();
                    time = rs.getString(1);
                }
                Thread.sleep(20); // commit timestamps after the lock is released are strictly later
                String digest;
                try (ResultSet rs = st.executeQuery(DIGEST)) {
                    rs.next();
                    digest = rs.getString(1);
                }
                c.commit();
                return new Moment(time, digest);
            }
        }
    }

    private Process startLoad(int seconds) throws Exception {
        var cluster = setup.pg().cluster();
        List<String> cmd = new ArrayList<>();
        if (ProcessRunner.forCurrentUser().switchesToPostgresUser()) {
            cmd.addAll(List.of("runuser", "-u", ProcessRunner.POSTGRES_USER, "--"));
        }
        cmd.addAll(List.of(cluster.binaries().path(PgBinaries.Program.PGBENCH).toString(), "-h",
                cluster.socketDirectory().toString(), "-p", Integer.toString(cluster.port()), "-U", "postgres",
                "-c", "2", "-R", "150", "-T", Integer.toString(seconds), "-n", "postgres"));
        return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(dir.resolve("pgbench.log").toFile())
                .start();
    }

    private void awaitArchived(String segment) throws InterruptedException {
        WalArchiveIndex index = new WalArchiveIndex(setup.open().store());
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (index.find(segment).isEmpty()) {
            assertThat(System.nanoTime()).as("segment %s archived in time", segment).isLessThan(deadline);
            Thread.sleep(100);
        }
    }

    private String restoreAndDigest(Path pgdata, String... args) throws Exception {
        String[] all = new String[args.length + 3];
        all[0] = "restore";
        all[1] = "--pgdata";
        all[2] = pgdata.toString();
        System.arraycopy(args, 0, all, 3, args.length);
        CliRun r = setup.cli(all);
        assertThat(r.exitCode()).as(r.all()).isZero();
        try (RestoredCluster c = RestoredCluster.start(pgdata, setup.pg().cluster().binaries())) {
            return c.queryString(DIGEST);
        }
    }
}
