package org.pgwarden.drill;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.pgwarden.adapter.process.LocalCluster;
import org.pgwarden.repo.WalArchiveIndex;
import org.pgwarden.storage.ObjectKey;
import org.pgwarden.testing.BackupSetup;
import org.pgwarden.testing.CliRun;
import org.pgwarden.testing.Distribution;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code pgwarden drill} against a real server: a drill of the latest backup with WAL passes with
 * a plausible RTO and recovery point, an index amcheck finds broken fails the drill naming the
 * check, a WAL segment missing from the archive fails it naming the segment; after each drill no
 * scratch directory and no PostgreSQL process is left.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class DrillIT {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path dir;
    private static BackupSetup setup;
    private static Path scratch;

    @BeforeAll
    static void start() throws Exception {
        scratch = dir.resolve("scratch");
        setup = BackupSetup.start(dir, Map.of(), """
                drill:
                  scratch-directory: %s
                  timeout: 5m
                  amcheck-heapallindexed: true
                  row-count-floors:
                    - database: postgres
                      table: public.items
                      min-rows: 1000
                  sql-checks:
                    - name: replayed-after-backup
                      sql: SELECT count(*) FROM after_backup
                      expect: "50"
                  rto-objective: 10m
                  rpo-objective: 1h
                """.formatted(scratch));
        setup.pg().sql("CREATE TABLE items (id int PRIMARY KEY, name text)",
                "INSERT INTO items SELECT g, 'item ' || g FROM generate_series(1, 1000) g",
                "CREATE INDEX items_name ON items (name)",
                "CREATE TABLE after_backup (id int PRIMARY KEY)");
        assertThat(setup.cli("stanza-create").exitCode()).isZero();
        CliRun full = setup.cli("backup", "--type", "full");
        assertThat(full.exitCode()).as(full.all()).isZero();
        // committed after the backup: only WAL replay brings these rows into the drill's copy
        setup.pg().sql("INSERT INTO after_backup SELECT generate_series(1, 50)");
        awaitArchived(setup.pg().queryString("SELECT pg_walfile_name(pg_switch_wal())"));
    }

    @AfterAll
    static void stop() {
        setup.close();
    }

    @AfterEach
    void nothingLeftBehind() throws Exception {
        try (Stream<Path> s = Files.list(scratch)) {
            assertThat(s.toList()).as("scratch directory after the drill").isEmpty();
        }
        List<String> servers = ProcessHandle.allProcesses()
                .map(p -> p.info().commandLine().orElse(""))
                .filter(c -> c.contains(scratch.toString())).toList();
        assertThat(servers).as("processes running on the scratch directory").isEmpty();
    }

    private static void awaitArchived(String segment) throws InterruptedException {
        WalArchiveIndex index = new WalArchiveIndex(setup.open().store());
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (index.find(segment).isEmpty()) {
            assertThat(System.nanoTime()).as("segment %s archived in time", segment).isLessThan(deadline);
            Thread.sleep(100);
        }
    }

    /** The newest drill report in the repository, decrypted. */
    private static JsonNode lastReport() throws Exception {
        Path reports = setup.repository().resolve("drill");
        String newest;
        try (Stream<Path> s = Files.list(reports)) {
            newest = s.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".json")).sorted()
                    .reduce((a, b) -> b).orElseThrow();
        }
        try (InputStream in = setup.objects().open(new ObjectKey("drill/" + newest))) {
            return JSON.readTree(in.readAllBytes());
        }
    }

    @Test
    @Order(1)
    void aDrillOfTheLatestBackupWithWalPassesWithPlausibleRtoAndRecoveryPoint() throws Exception {
        CliRun r = setup.cli("drill");

        assertThat(r.exitCode()).as(r.all()).isZero();
        assertThat(r.out()).contains("✔ drill passed").contains("recovery to latest")
                .contains("✔ amcheck:postgres: ").contains("(bt_index_check, heapallindexed)")
                .contains("✔ row-count:postgres.public.items: ")
                .contains("✔ sql:replayed-after-backup: returned '50'")
                .contains("RTO objective 600.0s: met").contains("RPO objective 3600.0s: met");
        JsonNode report = lastReport();
        assertThat(report.path("passed").asBoolean()).as(report.toString()).isTrue();
        double total = report.path("rtoSeconds").path("total").asDouble();
        assertThat(total).isGreaterThan(0).isLessThan(300);
        assertThat(report.path("rtoSeconds").path("restore").asDouble()).isGreaterThan(0).isLessThanOrEqualTo(total);
        assertThat(report.path("rtoSeconds").path("recovery").asDouble()).isGreaterThan(0);
        assertThat(report.path("bytesRestored").asLong()).isGreaterThan(16L << 20);   // the files and a WAL segment
        // the last commit replayed is the one after the backup, and it is close to the newest archived WAL
        assertThat(report.path("recoveryPoint").path("reached").asText()).isNotEmpty();
        assertThat(report.path("recoveryPoint").path("lagSeconds").asDouble()).isBetween(0.0, 60.0);
        assertThat(report.path("checks")).hasSize(5);
        assertThat(report.path("checks").get(0).path("name").asText()).isEqualTo("wal");
        assertThat(report.path("checks").get(0).path("passed").asBoolean()).isTrue();
        // recovery ended on timeline 1 inside the newest archived segment, and the copy was promoted
        assertThat(check(report, "recovery-point").path("passed").asBoolean()).as(report.toString()).isTrue();
        assertThat(check(report, "recovery-point").path("message").asText())
                .contains("recovery replayed timeline 1 up to LSN ", "promoted to timeline 2");
        assertThat(report.path("objectives").path("rto").path("breached").asBoolean()).isFalse();

        // info shows it, from the repository alone
        CliRun info = setup.cli("info");
        assertThat(info.out()).as(info.all()).contains("last drill: ✔ passed at " + report.path("finished").asText());
        CliRun json = setup.cli("info", "--output", "json");
        assertThat(JSON.readTree(json.out()).path("lastDrill").path("runId").asText())
                .isEqualTo(report.path("runId").asText());
    }

    private static JsonNode check(JsonNode report, String name) {
        for (JsonNode c : report.path("checks")) {
            if (c.path("name").asText().equals(name)) {
                return c;
            }
        }
        throw new AssertionError("no check '" + name + "' in " + report);
    }

    @Test
    @Order(2)
    void anIndexAmcheckFindsBrokenFailsTheDrillNamingTheCheck() throws Exception {
        // A B-tree whose comparison function is replaced by the reverse order after the index was
        // built: the stored keys are then out of order for the index's own operator class, which is
        // what bt_index_check verifies.
        setup.pg().sql(
                "CREATE FUNCTION drill_cmp(int, int) RETURNS int LANGUAGE sql IMMUTABLE"
                        + " AS 'SELECT CASE WHEN $1 < $2 THEN -1 WHEN $1 > $2 THEN 1 ELSE 0 END'",
                "CREATE OPERATOR CLASS drill_ops FOR TYPE int USING btree AS OPERATOR 1 <, OPERATOR 2 <=,"
                        + " OPERATOR 3 =, OPERATOR 4 >=, OPERATOR 5 >, FUNCTION 1 drill_cmp(int, int)",
                "CREATE TABLE broken (x int)",
                "INSERT INTO broken SELECT generate_series(1, 2000)",
                "CREATE INDEX broken_x ON broken (x drill_ops)",
                "CREATE OR REPLACE FUNCTION drill_cmp(int, int) RETURNS int LANGUAGE sql IMMUTABLE"
                        + " AS 'SELECT CASE WHEN $1 < $2 THEN 1 WHEN $1 > $2 THEN -1 ELSE 0 END'");
        CliRun backup = setup.cli("backup", "--type", "full");
        assertThat(backup.exitCode()).as(backup.all()).isZero();

        CliRun r = setup.cli("drill", "--set", "latest");

        assertThat(r.exitCode()).as(r.all()).isEqualTo(1);
        assertThat(r.out()).contains("✘ drill FAILED").contains("✘ amcheck:postgres: ").contains("broken_x")
                .contains("✔ sql:replayed-after-backup");
        assertThat(r.err()).contains("PGW101").contains("amcheck:postgres");
        JsonNode report = lastReport();
        assertThat(report.path("passed").asBoolean()).isFalse();
        assertThat(check(report, "amcheck:postgres").path("passed").asBoolean()).isFalse();
        assertThat(check(report, "amcheck:postgres").path("message").asText()).contains("broken_x");
        CliRun info = setup.cli("info");
        assertThat(info.out()).contains("last drill: ✘ FAILED").contains("✘ amcheck:postgres: ");
        setup.pg().sql("DROP TABLE broken");
    }

    @Test
    @Order(3)
    void aMissingWalSegmentFailsTheDrillNamingTheSegment() throws Exception {
        CliRun backup = setup.cli("backup", "--type", "full");
        assertThat(backup.exitCode()).as(backup.all()).isZero();
        setup.pg().sql("INSERT INTO after_backup SELECT generate_series(51, 60)");
        String middle = setup.pg().queryString("SELECT pg_walfile_name(pg_switch_wal())");
        setup.pg().sql("INSERT INTO after_backup SELECT generate_series(61, 70)");
        awaitArchived(setup.pg().queryString("SELECT pg_walfile_name(pg_switch_wal())"));
        Path object;
        try (Stream<Path> s = Files.list(setup.repository().resolve("wal").resolve("00000001"))) {
            object = s.filter(p -> p.getFileName().toString().startsWith(middle + "-")).findFirst().orElseThrow();
        }
        Path aside = dir.resolve("aside");
        Files.move(object, aside, StandardCopyOption.ATOMIC_MOVE);
        try {
            CliRun r = setup.cli("drill");

            assertThat(r.exitCode()).as(r.all()).isEqualTo(1);
            // recovery stops at the gap, so the rows after it are lost: the drill says which segment
            assertThat(r.out()).contains("✘ drill FAILED").contains("✘ wal: recovery will stop at LSN ")
                    .contains("WAL segment " + middle + " is not archived although later WAL is");
            assertThat(r.err()).contains("PGW101").contains("wal");
            JsonNode report = lastReport();
            assertThat(report.path("passed").asBoolean()).isFalse();
            assertThat(report.path("checks").get(0).path("message").asText()).contains(middle);
        } finally {
            Files.move(aside, object, StandardCopyOption.ATOMIC_MOVE);
        }
    }

    @Test
    @Order(4)
    void aScratchClusterLeftByAKilledDrillIsRemovedByTheNextOne() throws Exception {
        // What a drill killed with -9 leaves: a running server in a scratch directory whose owner is gone.
        Process gone = new ProcessBuilder("true").start();
        gone.waitFor();
        try (LocalCluster orphan = LocalCluster.start(LocalCluster.options().parentDirectory(scratch)
                .directoryPrefix("pgwarden-drill-"))) {
            Files.writeString(orphan.baseDirectory().resolve("owner.pid"), Long.toString(gone.pid()));
            long postmaster = orphan.postmasterPid().orElseThrow();

            CliRun r = setup.cli("drill");

            // the drill itself ran (its SQL check now sees the rows test 3 added, so it does not pass)
            assertThat(r.out()).as(r.all()).contains("✔ amcheck:postgres");
            assertThat(orphan.baseDirectory()).doesNotExist();
            assertThat(ProcessHandle.of(postmaster).map(ProcessHandle::isAlive).orElse(false)).isFalse();
        }
    }

    @Test
    @Order(5)
    void aCorruptedObjectFailsTheDrillNamingIt() throws Exception {
        // one flipped bit in a data bundle of the newest backup: the AEAD tag no longer matches
        BackupSetup.Repository repo = setup.open();
        String newest = new org.pgwarden.repo.BackupCatalog(repo.store(), repo.objects()).labels().stream()
                .map(Object::toString).max(String::compareTo).orElseThrow();
        Path bundle;
        try (Stream<Path> s = Files.walk(setup.repository().resolve("backup").resolve(newest))) {
            bundle = s.filter(p -> p.getParent().getFileName().toString().equals("data"))
                    .max(java.util.Comparator.comparingLong(p -> p.toFile().length())).orElseThrow();
        }
        byte[] original = Files.readAllBytes(bundle);
        byte[] tampered = original.clone();
        tampered[original.length / 2] ^= 0x40;
        Files.write(bundle, tampered);
        try {
            CliRun r = setup.cli("drill", "--set", newest);

            assertThat(r.exitCode()).as(r.all()).isEqualTo(1);
            assertThat(r.out()).contains("✘ drill FAILED");
            assertThat(r.all()).contains("PGW051").contains("failed authentication").contains("backup/" + newest + "/data/");
            JsonNode report = lastReport();
            assertThat(report.path("passed").asBoolean()).isFalse();
            assertThat(report.toString()).contains("backup/" + newest + "/data/");
        } finally {
            Files.write(bundle, original);
        }
    }

    @Test
    @Order(6)
    void aRandomDrillRestoresOneOfTheCommittedBackups() throws Exception {
        BackupSetup.Repository repo = setup.open();
        List<String> labels = new org.pgwarden.repo.BackupCatalog(repo.store(), repo.objects()).labels().stream()
                .map(Object::toString).toList();

        CliRun r = setup.cli("drill", "--set", "random");

        JsonNode report = lastReport();
        assertThat(report.path("backup").asText()).as(r.all()).isIn(labels);
        // whichever it drew, recovery replays the whole archive from it
        assertThat(check(report, "recovery-point").path("passed").asBoolean()).as(r.all()).isTrue();
        assertThat(check(report, "amcheck:postgres").path("passed").asBoolean()).as(r.all()).isTrue();
    }

    @Test
    @Order(7)
    void aDaemonKilledMidDrillLeavesNothingOnceRestarted() throws Exception {
        String base = Files.readString(setup.config());
        Path drilling = dir.resolve("daemon-drilling.yaml");
        Files.writeString(drilling, base + """
                admin:
                  listen: 127.0.0.1:0
                schedules:
                  health-check: "0 0 0 * * ?"
                  drill: "0/2 * * * * ?"
                """);
        Path idle = dir.resolve("daemon-idle.yaml");
        Files.writeString(idle, base + """
                admin:
                  listen: 127.0.0.1:0
                schedules:
                  health-check: "0 0 0 * * ?"
                """);
        long postmaster;
        Path orphan;
        try (Distribution daemon = Distribution.start(Map.of(), List.of("--config", drilling.toString(), "daemon"))) {
            // the scheduled drill has restored and started its scratch server: kill the daemon there
            long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
            Path pidFile = null;
            while (pidFile == null) {
                assertThat(System.nanoTime()).as("a scheduled drill started its scratch server; daemon output:%n%s",
                        daemon.transcript()).isLessThan(deadline);
                try (Stream<Path> s = Files.list(scratch)) {
                    pidFile = s.map(d -> d.resolve("data").resolve("postmaster.pid")).filter(Files::isRegularFile)
                            .findFirst().orElse(null);
                }
                Thread.sleep(50);
            }
            orphan = pidFile.getParent().getParent();
            ProcessHandle.of(daemon.pid()).orElseThrow().destroyForcibly();
            daemon.waitFor(Duration.ofSeconds(30));
            postmaster = awaitPostmasterPid(pidFile);
        }
        assertThat(ProcessHandle.of(postmaster).map(ProcessHandle::isAlive).orElse(false))
                .as("the killed daemon's scratch server still runs").isTrue();

        try (Distribution restarted = Distribution.start(Map.of(), List.of("--config", idle.toString(), "daemon"))) {
            restarted.awaitLine(l -> l.contains("removed the scratch cluster '" + orphan + "'"), Duration.ofSeconds(60));
            assertThat(orphan).doesNotExist();
            assertThat(ProcessHandle.of(postmaster).map(ProcessHandle::isAlive).orElse(false)).isFalse();
            assertThat(restarted.terminate(Duration.ofSeconds(30))).isZero();
        }
    }

    /** The postmaster's pid from its pid file (first line), once written. */
    private static long awaitPostmasterPid(Path pidFile) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (true) {
            String first = Files.isRegularFile(pidFile) ? Files.readString(pidFile).lines().findFirst().orElse("") : "";
            if (first.matches("\\d+")) {
                return Long.parseLong(first);
            }
            assertThat(System.nanoTime()).as("postmaster.pid written").isLessThan(deadline);
            Thread.sleep(50);
        }
    }
}
