package org.pgwarden.restore;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.stream.Stream;
import org.pgwarden.testing.BackupSetup;
import org.pgwarden.testing.CliRun;
import org.pgwarden.testing.RestoredCluster;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A cluster with a table in a tablespace, restored on the same host with the tablespace moved
 * by {@code --tablespace-map}: the copy starts, reads the table from the new place, and never
 * touches the original location. A map naming no tablespace of the backup, or a new location that
 * already holds files, is refused before anything is written.
 */
class RestoreTablespaceIT {
    private static final String ROWS = "SELECT count(*) || ':' || md5(string_agg(v, ',' ORDER BY id)) FROM elsewhere";

    @TempDir
    static Path dir;
    private static BackupSetup setup;
    private static Path restores;
    private static Path tablespace;
    private static String oid;
    private static String rows;

    @BeforeAll
    static void start() throws Exception {
        setup = BackupSetup.start(dir, Map.of(), "");
        restores = Files.createDirectories(dir.resolve("restores"));
        Files.setPosixFilePermissions(restores, PosixFilePermissions.fromString("rwxr-xr-x"));
        tablespace = Files.createDirectories(dir.resolve("tablespace"));
        BackupSetup.givePostgres(tablespace);
        setup.pg().sql("CREATE TABLESPACE extra LOCATION '" + tablespace + "'",
                "CREATE TABLE elsewhere (id int PRIMARY KEY, v text) TABLESPACE extra",
                "INSERT INTO elsewhere SELECT g, md5(g::text) FROM generate_series(1, 5000) g",
                "ALTER TABLE elsewhere SET (autovacuum_enabled = false)");
        oid = setup.pg().queryString("SELECT oid FROM pg_tablespace WHERE spcname = 'extra'");
        rows = setup.pg().queryString(ROWS);
        // Hint bits set by the read above are flushed now, so the original location stays still later.
        setup.pg().sql("CHECKPOINT");
        assertThat(setup.cli("stanza-create").exitCode()).isZero();
        CliRun full = setup.cli("backup", "--type", "full");
        assertThat(full.exitCode()).as(full.all()).isZero();
    }

    @AfterAll
    static void stop() {
        setup.close();
    }

    @Test
    void aRemappedTablespaceIsRestoredAtItsNewPlaceAndTheCopyReadsIt() throws Exception {
        Path pgdata = restores.resolve("remapped");
        Path moved = restores.resolve("moved-tablespace");
        String[] before = listing(tablespace);
        CliRun r = setup.cli("restore", "--pgdata", pgdata.toString(), "--target", "immediate",
                "--target-action", "promote", "--tablespace-map", tablespace + "=" + moved);
        assertThat(r.exitCode()).as(r.all()).isZero();
        assertThat(Files.readString(pgdata.resolve("tablespace_map"))).isEqualTo(oid + " " + moved + "\n");
        try (RestoredCluster c = RestoredCluster.start(pgdata, setup.pg().cluster().binaries())) {
            assertThat(c.queryString(ROWS)).isEqualTo(rows);
            assertThat(c.queryString("SELECT pg_tablespace_location(oid) FROM pg_tablespace WHERE spcname = 'extra'"))
                    .isEqualTo(moved.toString());
            c.sql("INSERT INTO elsewhere VALUES (100000, 'written by the copy')", "CHECKPOINT");
        }
        assertThat(Files.readSymbolicLink(pgdata.resolve("pg_tblspc").resolve(oid))).isEqualTo(moved);
        try (Stream<Path> s = Files.list(moved)) {
            assertThat(s.map(p -> p.getFileName().toString())).singleElement().asString().startsWith("PG_15_");
        }
        assertThat(listing(tablespace)).as("the original location is untouched").isEqualTo(before);
        assertThat(setup.pg().queryLong("SELECT count(*) FROM elsewhere WHERE id = 100000")).isZero();
    }

    @Test
    void aMapNamingNoTablespaceOfTheBackupIsRefused() throws Exception {
        Path pgdata = restores.resolve("unknown");
        CliRun r = setup.cli("restore", "--pgdata", pgdata.toString(), "--tablespace-map",
                dir.resolve("no-such-tablespace") + "=" + restores.resolve("x"));
        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.err()).contains("--tablespace-map names '" + dir.resolve("no-such-tablespace") + "'")
                .contains("has no tablespace there").contains("'" + tablespace + "' (oid " + oid + ")");
        assertThat(r.out()).doesNotContain("restored");
        assertNothingIn(pgdata);
        assertThat(restores.resolve("x")).doesNotExist();

        CliRun dry = setup.cli("restore", "--pgdata", pgdata.toString(), "--dry-run", "--tablespace-map",
                dir.resolve("no-such-tablespace") + "=" + restores.resolve("x"));
        assertThat(dry.exitCode()).as("a dry run checks the map too").isEqualTo(2);
    }

    @Test
    void aNewLocationThatHoldsFilesIsRefused() throws Exception {
        Path pgdata = restores.resolve("busy-target");
        Path busy = Files.createDirectories(restores.resolve("busy-tablespace"));
        Files.writeString(busy.resolve("keep-me"), "someone else's file");
        CliRun r = setup.cli("restore", "--pgdata", pgdata.toString(), "--tablespace-map", tablespace + "=" + busy);
        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.err()).contains("tablespace " + oid + " would be restored into '" + busy + "', which is not empty");
        assertThat(r.out()).doesNotContain("restored");
        try (Stream<Path> s = Files.list(busy)) {
            assertThat(s.map(p -> p.getFileName().toString())).containsExactly("keep-me");
        }
        assertNothingIn(pgdata);
    }

    @Test
    void withoutAMapTheLiveClustersTablespaceIsNeverOverwritten() throws Exception {
        String[] before = listing(tablespace);
        CliRun r = setup.cli("restore", "--pgdata", restores.resolve("same-place").toString());
        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.err()).contains("would be restored into '" + tablespace + "', which is not empty")
                .contains("--tablespace-map " + tablespace + "=");
        assertThat(listing(tablespace)).isEqualTo(before);
    }

    static void assertNothingIn(Path pgdata) throws java.io.IOException {
        if (Files.exists(pgdata)) {
            try (Stream<Path> s = Files.list(pgdata)) {
                assertThat(s).as("nothing written into '%s'", pgdata).isEmpty();
            }
        }
    }

    /** Every path under {@code root} with its size and modification time. */
    private static String[] listing(Path root) throws Exception {
        try (Stream<Path> s = Files.walk(root)) {
            return s.map(p -> {
                try {
                    return root.relativize(p) + " " + Files.size(p) + " " + Files.getLastModifiedTime(p);
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }).sorted().toArray(String[]::new);
        }
    }
}
