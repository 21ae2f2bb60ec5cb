package org.pgwarden.retention;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.pgwarden.job.JobContext;
import org.pgwarden.metrics.Metrics;
import org.pgwarden.repo.BackupCatalog;
import org.pgwarden.repo.BackupInfo;
import org.pgwarden.repo.WalArchiveIndex;
import org.pgwarden.storage.ObjectInfo;
import org.pgwarden.testing.BackupSetup;
import org.pgwarden.testing.CliRun;
import org.pgwarden.testing.RestoredCluster;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Expire against a real cluster's repository: after two fulls with an incremental and a
 * differential, keeping one full deletes exactly what the dry run planned, and the backups left
 * still restore to the end of the archive.
 */
class ExpireIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String DIGEST = "SELECT md5(string_agg(aid::text || ':' || abalance::text, ',' ORDER BY aid))"
            + " FROM pgbench_accounts";

    @TempDir
    static Path dir;
    private static BackupSetup setup;

    @BeforeAll
    static void start() throws Exception {
        setup = BackupSetup.start(dir, Map.of(), "retention:\n  full: {count: 1}\n");
        setup.pg().loadPgbench(1);
        assertThat(setup.cli("stanza-create").exitCode()).isZero();
        backup("full");
        setup.pg().sql("UPDATE pgbench_accounts SET abalance = abalance + 1 WHERE aid % 7 = 0");
        backup("incr");
        setup.pg().sql("UPDATE pgbench_accounts SET abalance = abalance + 2 WHERE aid % 5 = 0");
        backup("full");
        setup.pg().sql("UPDATE pgbench_accounts SET abalance = abalance + 3 WHERE aid % 3 = 0");
        backup("diff");
    }

    @AfterAll
    static void stop() {
        setup.close();
    }

    private static void backup(String type) {
        CliRun r = setup.cli("backup", "--type", type);
        assertThat(r.exitCode()).as(r.all()).isZero();
    }

    @Test
    void deletesExactlyThePlanAndTheRemainingBackupsStillRestore() throws Exception {
        BackupSetup.Repository repo = setup.open();
        List<BackupInfo> before = new BackupCatalog(repo.store(), repo.objects()).list();
        assertThat(before).extracting(b -> b.label().type().name()).containsExactly("FULL", "INCR", "FULL", "DIFF");

        // Verify results live outside the backups' directories; they go with their backups.
        CliRun verifyAll = setup.cli("verify");
        assertThat(verifyAll.exitCode()).as(verifyAll.all()).isZero();

        // The dry run prints the plan and changes nothing.
        Set<String> keysBefore = keys(repo);
        CliRun dry = setup.cli("expire", "--dry-run", "--output", "json");
        assertThat(dry.exitCode()).as(dry.all()).isZero();
        JsonNode doc = JSON.readTree(dry.out());
        assertThat(doc.get("dryRun").asBoolean()).isTrue();
        assertThat(doc.get("expired")).extracting(n -> n.get("label").asText())
                .containsExactly(before.get(0).label().toString(), before.get(1).label().toString());
        assertThat(doc.get("kept")).extracting(n -> n.get("label").asText())
                .containsExactly(before.get(2).label().toString(), before.get(3).label().toString());
        assertThat(doc.get("wal")).isNotEmpty();
        assertThat(doc.get("bytesFreed").asLong()).isPositive();
        // (WAL may still arrive from the archiver meanwhile: nothing else may change.)
        Set<String> afterDryRun = keys(repo);
        assertThat(afterDryRun).containsAll(keysBefore);
        assertThat(afterDryRun).filteredOn(k -> !keysBefore.contains(k)).allMatch(k -> k.startsWith("wal/"));

        CliRun text = setup.cli("expire", "--dry-run");
        assertThat(text.out()).contains("expire plan (dry run, nothing deleted)")
                .contains("would delete backup " + before.get(0).label())
                .contains("would delete WAL of timeline 1: ")
                .contains("keep backup " + before.get(2).label() + ": one of the 1 newest full backups")
                .contains("keep backup " + before.get(3).label() + ": newest backup");

        // The same plan, made through the API, names the exact keys a run deletes.
        ExpirePlan plan = new Expire(repo.store(), repo.objects(), RetentionPolicy.fullCount(1), Optional.empty(),
                Clock.systemUTC(), Metrics.noop()).plan(JobContext.standalone("t", "expire", Clock.systemUTC()));
        Set<String> planned = new HashSet<>();
        plan.deletions().forEach(o -> planned.add(o.key().value()));
        try (Stream<ObjectInfo> wal = new WalArchiveIndex(repo.store()).listAll()) {
            wal.filter(o -> WalArchiveIndex.fileName(o.key()).length() >= 8)
                    .filter(o -> plan.walRule().deletes(org.pgwarden.pg.WalSegmentName.parse(
                            WalArchiveIndex.fileName(o.key()))))
                    .forEach(o -> planned.add(o.key().value()));
        }
        assertThat(plan.walFiles()).isEqualTo(planned.stream().filter(k -> k.startsWith("wal/")).count());
        assertThat(plan.objectCount()).isEqualTo(doc.get("objects").asLong());
        assertThat(plan.bytesFreed()).isEqualTo(doc.get("bytesFreed").asLong());
        assertThat(planned).anyMatch(k -> k.startsWith("wal/")).anyMatch(k -> k.endsWith("/manifest"));

        CliRun run = setup.cli("expire");
        assertThat(run.exitCode()).as(run.all()).isZero();
        assertThat(run.out()).contains("deleted backup " + before.get(0).label())
                .contains("deleted backup " + before.get(1).label());
        Set<String> gone = new HashSet<>(keysBefore);
        gone.removeAll(keys(repo));
        assertThat(gone).isEqualTo(planned).contains("verify/" + before.get(0).label() + ".json")
                .doesNotContain("verify/" + before.get(2).label() + ".json");
        assertThat(new BackupCatalog(repo.store(), repo.objects()).list()).extracting(BackupInfo::label)
                .containsExactly(before.get(2).label(), before.get(3).label());

        // Nothing archived before the kept full's start segment is left on its timeline.
        String startSegment = org.pgwarden.pg.WalSegmentName.of(org.pgwarden.pg.TimelineId.of(1),
                org.pgwarden.pg.Lsn.parse(before.get(2).header().startLsn()), before.get(2).header().walSegmentSize())
                .toString();
        try (Stream<ObjectInfo> wal = new WalArchiveIndex(repo.store()).list("00000001")) {
            assertThat(wal.map(o -> WalArchiveIndex.fileName(o.key())).filter(n -> n.length() == 24))
                    .isNotEmpty().allMatch(n -> n.compareTo(startSegment) >= 0);
        }

        // A second run finds nothing left to do.
        CliRun again = setup.cli("expire");
        assertThat(again.exitCode()).as(again.all()).isZero();
        assertThat(again.out()).contains("backups: none deleted").contains("freed 0 B in 0 object(s)");

        // What is left is whole: verify reads every object, and the older kept full recovers
        // through the WAL to the end of the archive.
        CliRun verify = setup.cli("verify", "--full");
        assertThat(verify.exitCode()).as(verify.all()).isZero();
        String atEnd = setup.pg().queryString(DIGEST);
        String last = setup.pg().queryString("SELECT pg_walfile_name(pg_switch_wal())");
        awaitArchived(repo, last);
        Path restores = Files.createDirectories(dir.resolve("restores"));
        Files.setPosixFilePermissions(restores, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path pgdata = restores.resolve("full");
        CliRun restore = setup.cli("restore", "--pgdata", pgdata.toString(), "--set",
                before.get(2).label().toString(), "--target", "latest", "--target-action", "promote");
        assertThat(restore.exitCode()).as(restore.all()).isZero();
        try (RestoredCluster c = RestoredCluster.start(pgdata, setup.pg().cluster().binaries())) {
            assertThat(c.queryString(DIGEST)).isEqualTo(atEnd);
        }
    }

    private static Set<String> keys(BackupSetup.Repository repo) {
        try (Stream<ObjectInfo> s = repo.store().list("")) {
            return s.map(o -> o.key().value()).collect(Collectors.toCollection(HashSet::new));
        }
    }

    private static void awaitArchived(BackupSetup.Repository repo, String segment) throws InterruptedException {
        WalArchiveIndex index = new WalArchiveIndex(repo.store());
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (index.find(segment).isEmpty()) {
            assertThat(System.nanoTime()).as("segment %s archived in time", segment).isLessThan(deadline);
            Thread.sleep(100);
        }
    }
}
