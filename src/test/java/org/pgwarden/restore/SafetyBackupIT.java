package org.pgwarden.restore;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.pgwarden.testing.BackupSetup;
import org.pgwarden.testing.CliRun;
import org.pgwarden.testing.RestoredCluster;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code restore --delta --safety-backup} over a stopped cluster that has moved on since the
 * backup (rows in a table and in a tablespace): the delta restore brings back the backup, and the
 * safety copy, started as it is, brings back the old cluster with everything it had.
 */
class SafetyBackupIT {
    private static final String ROWS = "SELECT (SELECT string_agg(id || ':' || origin, ',' ORDER BY id) FROM t)"
            + " || '|' || (SELECT string_agg(id || ':' || origin, ',' ORDER BY id) FROM elsewhere)";
    private static final Pattern COPY = Pattern.compile("✔ safety copy of '[^']+' in '([^']+)'");

    @TempDir
    static Path dir;
    private static BackupSetup setup;
    private static Path restores;
    private static Path tablespace;
    private static String atBackup;

    @BeforeAll
    static void start() throws Exception {
        setup = BackupSetup.start(dir, Map.of(), "");
        restores = Files.createDirectories(dir.resolve("restores"));
        Files.setPosixFilePermissions(restores, PosixFilePermissions.fromString("rwxr-xr-x"));
        tablespace = Files.createDirectories(dir.resolve("tablespace"));
        BackupSetup.givePostgres(tablespace);
        setup.pg().sql("CREATE TABLE t (id int PRIMARY KEY, origin text NOT NULL)",
                "INSERT INTO t SELECT g, 'backup' FROM generate_series(1, 5) g",
                "CREATE TABLESPACE extra LOCATION '" + tablespace + "'",
                "CREATE TABLE elsewhere (id int PRIMARY KEY, origin text NOT NULL) TABLESPACE extra",
                "INSERT INTO elsewhere SELECT g, 'backup' FROM generate_series(1, 5) g");
        atBackup = setup.pg().queryString(ROWS);
        assertThat(setup.cli("stanza-create").exitCode()).isZero();
        CliRun full = setup.cli("backup", "--type", "full");
        assertThat(full.exitCode()).as(full.all()).isZero();
    }

    @AfterAll
    static void stop() {
        setup.close();
    }

    @Test
    void theSafetyCopyBringsBackTheClusterTheDeltaRestoreOverwrote() throws Exception {
        Path pgdata = restores.resolve("cluster");
        Path ownTablespace = restores.resolve("cluster-tablespace");
        String map = tablespace + "=" + ownTablespace;
        assertThat(restore(pgdata, "--target", "immediate", "--target-action", "promote", "--tablespace-map", map)
                .exitCode()).isZero();
        String before;
        try (RestoredCluster c = RestoredCluster.start(pgdata, setup.pg().cluster().binaries())) {
            c.sql("INSERT INTO t VALUES (100, 'old-cluster')", "INSERT INTO elsewhere VALUES (100, 'old-cluster')");
            before = c.queryString(ROWS);
            c.stopCleanly();
        }
        assertThat(before).isNotEqualTo(atBackup).contains("100:old-cluster");

        CliRun dry = restore(pgdata, "--delta", "--safety-backup", "--target", "immediate", "--tablespace-map", map,
                "--dry-run");
        assertThat(dry.exitCode()).as(dry.all()).isZero();
        assertThat(dry.out()).contains("would first copy the stopped cluster in '" + pgdata + "' into '" + pgdata
                + ".safety-");

        CliRun r = restore(pgdata, "--delta", "--safety-backup", "--target", "immediate", "--target-action",
                "promote", "--tablespace-map", map);
        assertThat(r.exitCode()).as(r.all()).isZero();
        Matcher m = COPY.matcher(r.out());
        assertThat(m.find()).as(r.out()).isTrue();
        Path copy = Path.of(m.group(1));
        assertThat(copy.getFileName().toString()).startsWith("cluster.safety-");
        assertThat(r.out().indexOf("✔ safety copy")).as("the copy is taken before the restore")
                .isLessThan(r.out().indexOf("✔ restored backup"));
        assertThat(copy.resolve("SAFETY-COPY.txt")).content().contains("pg_ctl -D '" + copy + "/data'");
        Path copiedTablespace = Files.readSymbolicLink(copy.resolve("data/pg_tblspc")
                .resolve(setup.pg().queryString("SELECT oid FROM pg_tablespace WHERE spcname = 'extra'")));
        assertThat(copiedTablespace).startsWith(copy.resolve("tablespaces"));

        try (RestoredCluster c = RestoredCluster.start(pgdata, setup.pg().cluster().binaries())) {
            assertThat(c.queryString(ROWS)).as("the delta restore brought back the backup").isEqualTo(atBackup);
        }
        try (RestoredCluster c = RestoredCluster.start(copy.resolve("data"), setup.pg().cluster().binaries())) {
            assertThat(c.queryString(ROWS)).as("the safety copy is the old cluster").isEqualTo(before);
            assertThat(c.queryString("SELECT pg_tablespace_location(oid) FROM pg_tablespace WHERE spcname = 'extra'"))
                    .isEqualTo(copiedTablespace.toString());
        }
    }

    @Test
    void aSafetyBackupNeedsDeltaAndOnlyCopiesThisStanzasCluster() throws Exception {
        Path empty = restores.resolve("empty");
        CliRun noDelta = restore(empty, "--safety-backup");
        assertThat(noDelta.exitCode()).isEqualTo(2);
        assertThat(noDelta.err()).contains("--safety-backup copies an existing cluster before --delta rewrites it");

        Path foreign = Files.createDirectories(restores.resolve("foreign/global"));
        byte[] control = new byte[8192];
        ByteBuffer.wrap(control).order(ByteOrder.nativeOrder()).putLong(0, 42L).putInt(16, 1);
        Files.write(foreign.resolve("pg_control"), control);
        Path target = foreign.getParent();
        CliRun other = restore(target, "--delta", "--safety-backup", dir.resolve("foreign-copy").toString(),
                "--tablespace-map", tablespace + "=" + restores.resolve("foreign-tablespace"));
        assertThat(other.exitCode()).as(other.all()).isEqualTo(5);
        assertThat(other.err()).contains("is the data directory of cluster 42, not of this stanza's cluster");
        assertThat(other.out()).doesNotContain("restored");
        assertThat(dir.resolve("foreign-copy")).doesNotExist();
        try (Stream<Path> s = Files.walk(target)) {
            assertThat(s.filter(Files::isRegularFile).map(p -> target.relativize(p).toString()))
                    .as("nothing overwritten").containsExactly("global/pg_control");
        }
        assertThat(Files.readAllBytes(foreign.resolve("pg_control"))).isEqualTo(control);

        Path notData = Files.createDirectories(restores.resolve("not-data"));
        Files.writeString(notData.resolve("file"), "x");
        CliRun none = restore(notData, "--delta", "--safety-backup", "--tablespace-map",
                tablespace + "=" + restores.resolve("none-tablespace"));
        assertThat(none.exitCode()).isNotZero();
        assertThat(none.err()).contains("is not a PostgreSQL data directory: it has no 'global/pg_control'");
        assertThat(notData.resolve("file")).exists();
    }

    private static CliRun restore(Path pgdata, String... args) {
        String[] all = new String[args.length + 3];
        all[0] = "restore";
        all[1] = "--pgdata";
        all[2] = pgdata.toString();
        System.arraycopy(args, 0, all, 3, args.length);
        return setup.cli(all);
    }
}
