package org.pgwarden.backup;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.pgwarden.adapter.jdbc.JdbcPgCluster;
import org.pgwarden.config.BackupConfig;
import org.pgwarden.job.JobContext;
import org.pgwarden.metrics.MeterNames;
import org.pgwarden.repo.BackupType;
import org.pgwarden.testing.BackupSetup;
import org.pgwarden.testing.CliRun;
import org.pgwarden.testing.Distribution;
import org.pgwarden.testing.RecordingMetrics;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What a backup leaves behind when it is killed, and what it says about damaged pages. */
class BackupFaultsIT {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;
    private BackupSetup setup;

    @AfterEach
    void stop() {
        if (setup != null) {
            setup.close();
        }
    }

    private JsonNode info() throws Exception {
        CliRun r = setup.cli("info", "--output", "json");
        assertThat(r.exitCode()).as(r.all()).isZero();
        return JSON.readTree(r.out());
    }

    @Test
    void aKilledBackupIsNeverUsableAndTheNextOneCleansUp() throws Exception {
        // Slow compression and one worker keep the copy running long enough to be killed mid-way.
        setup = BackupSetup.start(dir, Map.of(), "compression:\n  level: 6\n",
                "  parallelism: 1\n  bundle-size: 1MiB\n");
        setup.pg().loadPgbench(10);
        assertThat(setup.cli("stanza-create").exitCode()).isZero();

        String label;
        try (Distribution backup = Distribution.start(Map.of(), List.of("--config", setup.config().toString(), "backup",
                "--type", "full"))) {
            String started = backup.awaitLine(l -> l.contains("backup ") && l.contains(" started"), Duration.ofSeconds(60));
            label = started.replaceAll(".*backup (\\S+) \\(full.*", "$1");
            // Wait until at least one bundle is complete, so the kill leaves committed objects behind.
            Path data = setup.repository().resolve("backup").resolve(label).resolve("data");
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (completeBundles(data) < 2 && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            ProcessHandle.of(backup.pid()).orElseThrow().destroyForcibly();
            backup.waitFor(Duration.ofSeconds(20));
            assertThat(backup.transcript()).doesNotContain("✔ backup");
        }

        JsonNode before = info();
        assertThat(before.get("backups")).as("no manifest, no backup").isEmpty();
        assertThat(before.get("interrupted").toString()).contains(label);

        CliRun next = setup.cli("backup", "--type", "full");
        assertThat(next.exitCode()).as(next.all()).isZero();
        JsonNode after = info();
        assertThat(after.get("backups")).hasSize(1);
        assertThat(after.get("backups").get(0).get("usable").asBoolean()).isTrue();
        assertThat(after.get("interrupted")).isEmpty();
        Path orphan = setup.repository().resolve("backup").resolve(label);
        assertThat(orphan).as("no orphan objects: %s", Files.exists(orphan) ? listing(orphan) : "").doesNotExist();
        try (Stream<Path> files = Files.walk(setup.repository())) {
            assertThat(files.filter(Files::isRegularFile).map(Path::toString))
                    .as("only the new backup, WAL, keyring, stanza")
                    .allMatch(p -> !p.contains(label) && !p.contains(".tmp"));
        }
    }

    private static String listing(Path dir) throws java.io.IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            return s.map(Path::toString).toList().toString();
        }
    }

    private static long completeBundles(Path data) throws java.io.IOException {
        if (!Files.isDirectory(data)) {
            return 0;
        }
        try (Stream<Path> files = Files.list(data)) {
            return files.filter(p -> !p.getFileName().toString().startsWith(".")).count();
        }
    }

    @Test
    void aCorruptPageIsReportedInInfoAndAsAMetric() throws Exception {
        setup = BackupSetup.start(dir, Map.of(), "");
        setup.pg().sql("CREATE TABLE victim (id int, v text)",
                "INSERT INTO victim SELECT g, md5(g::text) FROM generate_series(1, 5000) g", "CHECKPOINT");
        assertThat(setup.cli("stanza-create").exitCode()).isZero();
        Path file = setup.pg().cluster().dataDirectory().resolve(setup.pg().queryString(
                "SELECT pg_relation_filepath('victim')"));
        setup.pg().cluster().stop();
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            raf.seek(8192 + 4000); // the middle of page 1: the checksum no longer matches
            raf.write(new byte[]{0x5a, 0x5a, 0x5a, 0x5a});
        }
        setup.pg().cluster().start();

        RecordingMetrics metrics = new RecordingMetrics();
        BackupSetup.Repository repo = setup.open();
        Backup.Result result;
        try (JdbcPgCluster pg = new JdbcPgCluster(setup.pg().postgresConfig(), Map.of(), metrics)) {
            BackupConfig config = new BackupConfig(2, 131072, 1 << 20, 64L << 20, true, Duration.ofSeconds(60),
                    dir, false);
            result = new Backup(repo.store(), repo.objects(), repo.keyring(), pg, setup.pg().cluster().dataDirectory(), config,
                    Clock.systemUTC(), metrics).run(new Backup.Request(BackupType.FULL, Map.of()),
                    JobContext.standalone("t", "backup-full", Clock.systemUTC()));
        }
        assertThat(result.invalidPages()).isEqualTo(1);
        assertThat(metrics.counter(MeterNames.BACKUP_PAGE_CHECKSUM_ERRORS)).isEqualTo(1.0);
        assertThat(metrics.gauge(MeterNames.BACKUP_LAST_PAGE_CHECKSUM_ERRORS)).isEqualTo(1.0);
        JsonNode b = info().get("backups").get(0);
        assertThat(b.get("pageChecksumErrors").asLong()).isEqualTo(1);
        CliRun text = setup.cli("info");
        assertThat(text.out()).contains("✘ page checksum errors: 1");
    }
}
