package org.pgwarden.wal;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.pgwarden.adapter.fs.FilesystemObjectStore;
import org.pgwarden.repo.WalArchiveIndex;
import org.pgwarden.storage.ObjectInfo;
import org.pgwarden.testing.BackupSetup;
import org.pgwarden.testing.CliRun;
import org.pgwarden.testing.Distribution;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * wal-fetch against WAL that a real cluster archived through the real archive_command: the
 * restored bytes are the ones PostgreSQL wrote, the end of the archive is exit code 1, a tampered
 * object is refused, and prefetched segments are served from the spool.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class WalFetchIT {
    private static final int SEGMENTS = 6;
    private static final int PREFETCH = 3;

    private BackupSetup setup;
    private Path dir;
    private Path originals;
    private final List<String> segments = new ArrayList<>();

    @BeforeAll
    void archiveSomeSegments(@TempDir Path dir) throws Exception {
        this.dir = dir;
        // Keep switched-out segments in pg_wal so the test can compare them with what comes back.
        setup = BackupSetup.start(dir, Map.of("wal_keep_size", "1GB"), """
                restore:
                  wal-prefetch: %d
                  spool-directory: %s
                """.formatted(PREFETCH, dir.resolve("spool")));
        CliRun created = setup.cli("stanza-create");
        assertThat(created.exitCode()).as(created.all()).isZero();
        originals = Files.createDirectories(dir.resolve("originals"));
        setup.pg().sql("CREATE TABLE t (id int, v text)");
        for (int i = 0; i < SEGMENTS; i++) {
            setup.pg().sql("INSERT INTO t SELECT g, md5(g::text) FROM generate_series(1, 5000) g");
            String name = setup.pg().queryString("SELECT pg_walfile_name(pg_switch_wal())");
            awaitArchived(name);
            Files.copy(setup.pg().cluster().dataDirectory().resolve("pg_wal").resolve(name), originals.resolve(name));
            segments.add(name);
        }
    }

    @AfterAll
    void stop() {
        if (setup != null) {
            setup.close();
        }
    }

    @Test
    @Order(1)
    void fetchedSegmentsEqualWhatPostgresWroteAndLaterOnesComeFromTheSpool() throws Exception {
        Path target = Files.createDirectories(dir.resolve("restore-1"));
        for (int i = 0; i < segments.size(); i++) {
            String name = segments.get(i);
            CliRun r = setup.cli("wal-fetch", name, target.resolve("RECOVERYXLOG").toString());
            assertThat(r.exitCode()).as(r.all()).isZero();
            assertThat(Files.readAllBytes(target.resolve("RECOVERYXLOG"))).as(name)
                    .isEqualTo(Files.readAllBytes(originals.resolve(name)));
            if (i == 0) {
                assertThat(spoolNames()).as("prefetched after the first call")
                        .containsExactlyElementsOf(segments.subList(1, 1 + PREFETCH));
            } else {
                assertThat(spoolNames()).as("served from the spool, so no longer in it").doesNotContain(name);
            }
        }
        assertThat(fileNames(target)).containsExactly("RECOVERYXLOG");
    }

    @Test
    @Order(2)
    void aSegmentBeyondTheArchiveExits1AndLeavesNoFile() throws Exception {
        Path target = Files.createDirectories(dir.resolve("restore-2"));
        String beyond = "00000001" + segments.get(segments.size() - 1).substring(8, 16) + "000000FF";
        CliRun r = setup.cli("wal-fetch", beyond, target.resolve("RECOVERYXLOG").toString());
        assertThat(r.exitCode()).as(r.all()).isEqualTo(1);
        assertThat(r.err()).doesNotContain("error:");
        assertThat(fileNames(target)).isEmpty();
    }

    @Test
    @Order(3)
    void aTamperedObjectIsRefusedWithAnIntegrityErrorNamingTheKey() throws Exception {
        deleteSpool();
        String name = segments.get(2);
        ObjectInfo object = index().find(name).orElseThrow();
        Path file = setup.repository().resolve(object.key().toString());
        byte[] original = Files.readAllBytes(file);
        byte[] damaged = original.clone();
        damaged[damaged.length / 2] ^= 0x40;
        Files.write(file, damaged);
        try {
            Path target = Files.createDirectories(dir.resolve("restore-3"));
            CliRun r = setup.cli("wal-fetch", name, target.resolve("RECOVERYXLOG").toString());
            assertThat(r.exitCode()).as(r.all()).isEqualTo(126);
            assertThat(r.err()).contains("error: [PGW05").contains(object.key().toString());
            assertThat(fileNames(target)).isEmpty();
        } finally {
            Files.write(file, original);
        }
    }

    @Test
    @Order(4)
    void theLauncherServesRestoreCommandCalls() throws Exception {
        deleteSpool();
        Path target = Files.createDirectories(dir.resolve("restore-4"));
        String name = segments.get(0);
        try (Distribution d = Distribution.start(Map.of(), List.of("--config", setup.config().toString(), "wal-fetch",
                name, target.resolve("RECOVERYXLOG").toString()))) {
            assertThat(d.waitFor(Duration.ofSeconds(60))).as(d.transcript()).isZero();
            assertThat(d.transcript()).contains("wal-fetch " + name + " restored from the repository; prefetched "
                    + PREFETCH + " more");
        }
        assertThat(Files.readAllBytes(target.resolve("RECOVERYXLOG"))).isEqualTo(Files.readAllBytes(originals.resolve(name)));
    }

    @Test
    @Order(5)
    void checkSwitchesWalAndReportsTheArchiveLatency() {
        CliRun r = setup.cli("check");
        assertThat(r.exitCode()).as(r.all()).isZero();
        assertThat(r.out()).containsPattern("✔ archive a WAL segment: segment '[0-9A-F]{24}' archived in \\d+\\.\\ds");
    }

    private WalArchiveIndex index() {
        return new WalArchiveIndex(new FilesystemObjectStore(setup.repository()));
    }

    private void awaitArchived(String name) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (index().find(name).isEmpty()) {
            assertThat(System.nanoTime()).as("'" + name + "' archived within 60s").isLessThan(deadline);
            Thread.sleep(100);
        }
    }

    private List<String> spoolNames() throws Exception {
        try (Stream<Path> s = Files.list(dir.resolve("spool"))) {
            Path spool = s.findFirst().orElseThrow();
            return fileNames(spool).stream().map(n -> n.substring(0, n.lastIndexOf('-'))).toList();
        }
    }

    private void deleteSpool() throws Exception {
        Path spool = dir.resolve("spool");
        if (Files.exists(spool)) {
            try (Stream<Path> s = Files.walk(spool)) {
                s.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    private static List<String> fileNames(Path d) throws Exception {
        try (Stream<Path> s = Files.list(d)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }
}
