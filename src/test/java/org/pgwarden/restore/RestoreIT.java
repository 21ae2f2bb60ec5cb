package org.pgwarden.restore;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.pgwarden.adapter.process.PgBinaries;
import org.pgwarden.repo.WalArchiveIndex;
import org.pgwarden.testing.BackupSetup;
import org.pgwarden.testing.CliRun;
import org.pgwarden.testing.RestoredCluster;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * Restore from the repository alone, started as a real server: the recovered data equals what
 * was committed at the target. Refusals and tampering fail loudly, delta restore converges.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class RestoreIT {
    private static final String DIGEST = "SELECT md5(string_agg(aid::text || ':' || abalance::text, ',' ORDER BY aid))"
            + " FROM pgbench_accounts";

    @TempDir
    static Path dir;
    private static BackupSetup setup;
    private static Path restores;
    private static String atBackup;
    private static String atTarget;
    private static String targetTime;
    private static String atEnd;

    @BeforeAll
    static void start() throws Exception {
        setup = BackupSetup.start(dir, Map.of(), "");
        restores = Files.createDirectories(dir.resolve("restores"));
        Files.setPosixFilePermissions(restores, PosixFilePermissions.fromString("rwxr-xr-x"));
        setup.pg().loadPgbench(2);
        assertThat(setup.cli("stanza-create").exitCode()).isZero();
        CliRun full = setup.cli("backup", "--type", "full");
        assertThat(full.exitCode()).as(full.all()).isZero();
        atBackup = setup.pg().queryString(DIGEST);

        setup.pg().sql("UPDATE pgbench_accounts SET abalance = abalance + 7 WHERE aid % 3 = 0");
        atTarget = setup.pg().queryString(DIGEST);
        targetTime = setup.pg().queryString("SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC',"
                + " 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')");
        Thread.sleep(1200);
        setup.pg().sql("UPDATE pgbench_accounts SET abalance = abalance - 5 WHERE aid % 5 = 0");
        atEnd = setup.pg().queryString(DIGEST);
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

    private static PgBinaries binaries() {
        return setup.pg().cluster().binaries();
    }

    /** The restored cluster's digest, and its server log for the failure message. */
    private record Restored(String digest, String log) {
    }

    private static String restoreAndRead(String name, String... args) throws Exception {
        Restored r = restoreAndStart(name, args);
        return r.digest();
    }

    private static Restored restoreAndStart(String name, String... args) throws Exception {
        Path pgdata = restores.resolve(name);
        String[] all = new String[args.length + 3];
        all[0] = "restore";
        all[1] = "--pgdata";
        all[2] = pgdata.toString();
        System.arraycopy(args, 0, all, 3, args.length);
        CliRun r = setup.cli(all);
        assertThat(r.exitCode()).as(r.all()).isZero();
        assertThat(r.out()).startsWith("✔ restored backup ").contains("next: start PostgreSQL");
        try (RestoredCluster c = RestoredCluster.start(pgdata, binaries())) {
            return new Restored(c.queryString(DIGEST), Files.readString(c.logFile()));
        }
    }

    @Test
    @Order(1)
    void immediateRecoveryGivesTheDataAsOfTheBackup() throws Exception {
        assertThat(restoreAndRead("immediate", "--target", "immediate", "--target-action", "promote"))
                .isEqualTo(atBackup);
    }

    @Test
    @Order(2)
    void pointInTimeRecoveryStopsAtTheTarget() throws Exception {
        CliRun dry = setup.cli("restore", "--pgdata", restores.resolve("unused").toString(), "--target-time",
                targetTime, "--dry-run");
        assertThat(dry.out()).contains("would restore backup").contains("the newest backup that ended before");
        assertThat(restores.resolve("unused")).doesNotExist();
        assertThat(restoreAndRead("pitr", "--target-time", targetTime, "--target-action", "promote"))
                .isEqualTo(atTarget);
    }

    @Test
    @Order(3)
    void latestReplaysEverythingArchived() throws Exception {
        Restored r = restoreAndStart("latest");
        assertThat(r.digest()).as(r.log()).isEqualTo(atEnd);
    }

    @Test
    @Order(4)
    void refusesARunningClusterAndANonEmptyDirectory() throws Exception {
        CliRun running = setup.cli("restore", "--pgdata", setup.pg().cluster().dataDirectory().toString());
        assertThat(running.exitCode()).isNotZero();
        assertThat(running.err()).contains("is running on").contains("never overwrites a running cluster");

        Path busy = Files.createDirectories(restores.resolve("busy"));
        Files.writeString(busy.resolve("something"), "x");
        CliRun nonEmpty = setup.cli("restore", "--pgdata", busy.toString());
        assertThat(nonEmpty.exitCode()).isEqualTo(2);
        assertThat(nonEmpty.err()).contains("is not empty").contains("--delta");
        assertThat(busy.resolve("something")).exists();

        CliRun tooEarly = setup.cli("restore", "--pgdata", restores.resolve("early").toString(), "--target-time",
                "2001-01-01T00:00:00Z");
        assertThat(tooEarly.exitCode()).isNotZero();
        assertThat(tooEarly.err()).contains("is before the oldest backup ended");
    }

    @Test
    @Order(5)
    void deltaRestoreConvergesOnAFreshRestore() throws Exception {
        Path fresh = restores.resolve("fresh");
        Path copy = restores.resolve("delta");
        assertThat(setup.cli("restore", "--pgdata", fresh.toString(), "--target", "immediate").exitCode()).isZero();
        assertThat(setup.cli("restore", "--pgdata", copy.toString(), "--target", "immediate").exitCode()).isZero();
        String accounts = setup.pg().queryString("SELECT pg_relation_filepath('pgbench_accounts')");
        try (RandomAccessFile raf = new RandomAccessFile(copy.resolve(accounts).toFile(), "rw")) {
            raf.seek(20000);
            raf.write(new byte[]{1, 2, 3});
        }
        Files.writeString(copy.resolve("base/stray-file"), "not in the backup");
        Files.delete(copy.resolve("PG_VERSION"));
        Files.delete(copy.resolve("backup_label"));
        Files.delete(copy.resolve("recovery.signal"));
        Files.delete(copy.resolve("postgresql.auto.conf"));
        CliRun delta = setup.cli("restore", "--pgdata", copy.toString(), "--target", "immediate", "--delta");
        assertThat(delta.exitCode()).as(delta.all()).isZero();
        assertThat(checksums(copy)).isEqualTo(checksums(fresh));
    }

    @Test
    @Order(6)
    void verifyReadsEverythingOnceAndRemembers() {
        CliRun first = setup.cli("verify");
        assertThat(first.exitCode()).as(first.all()).isZero();
        assertThat(first.out()).startsWith("✔ ").doesNotContain("verified earlier");
        CliRun second = setup.cli("verify");
        assertThat(second.out()).contains("(verified earlier, manifest unchanged)");
    }

    @Test
    @Order(7)
    void aTamperedObjectFailsTheRestoreNamingIt() throws Exception {
        Path bundle;
        try (Stream<Path> s = Files.walk(setup.repository().resolve("backup"))) {
            bundle = s.filter(p -> p.getParent().getFileName().toString().equals("data")).sorted().findFirst()
                    .orElseThrow();
        }
        byte[] original = Files.readAllBytes(bundle);
        byte[] tampered = original.clone();
        tampered[original.length / 2] ^= 0x40;
        Files.write(bundle, tampered);
        try {
            CliRun r = setup.cli("restore", "--pgdata", restores.resolve("tampered").toString(), "--target",
                    "immediate");
            assertThat(r.exitCode()).as(r.all()).isEqualTo(4);
            assertThat(r.err()).contains("backup/").contains("/data/");
            CliRun verify = setup.cli("verify", "--full");
            assertThat(verify.exitCode()).as(verify.all()).isEqualTo(4);
            assertThat(verify.out()).contains("✘ ").contains(bundle.getFileName().toString());
        } finally {
            Files.write(bundle, original);
        }
    }

    private static Map<String, String> checksums(Path root) throws Exception {
        Map<String, String> out = new TreeMap<>();
        try (Stream<Path> s = Files.walk(root)) {
            for (Path p : s.filter(Files::isRegularFile).toList()) {
                MessageDigest d = MessageDigest.getInstance("SHA-256");
                try (InputStream in = Files.newInputStream(p)) {
                    d.update(in.readAllBytes());
                }
                out.put(root.relativize(p).toString(), HexFormat.of().formatHex(d.digest()));
            }
        }
        return out;
    }
}
