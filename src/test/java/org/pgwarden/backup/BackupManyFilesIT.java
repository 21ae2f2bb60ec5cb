package org.pgwarden.backup;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.pgwarden.repo.BackupLabel;
import org.pgwarden.repo.ManifestReader;
import org.pgwarden.testing.BackupSetup;
import org.pgwarden.testing.CliRun;
import org.pgwarden.testing.Distribution;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Memory is bounded by workers × buffers, not by the file count: a backup of a cluster with
 * 100,000 extra files runs in a JVM capped at a heap far smaller than what holding every file's
 * manifest entry would take.
 */
class BackupManyFilesIT {
    private static final int DIRECTORIES = 100;
    private static final int FILES_PER_DIRECTORY = 1000;

    @TempDir
    Path dir;
    private BackupSetup setup;

    @AfterEach
    void stop() {
        if (setup != null) {
            setup.close();
        }
    }

    @Test
    void hundredThousandFilesBackUpInASmallHeap() throws Exception {
        setup = BackupSetup.start(dir, Map.of(), "");
        assertThat(setup.cli("stanza-create").exitCode()).isZero();
        Path many = setup.pg().cluster().dataDirectory().resolve("pgwarden_many_files");
        for (int d = 0; d < DIRECTORIES; d++) {
            Path sub = Files.createDirectories(many.resolve(String.format("d%03d", d)));
            for (int f = 0; f < FILES_PER_DIRECTORY; f++) {
                Files.write(sub.resolve(String.format("f%04d", f)), ("file " + d + "/" + f).getBytes(StandardCharsets.UTF_8));
            }
        }
        try (Distribution backup = Distribution.start(Map.of("PGWARDEN_JAVA_OPTS", "-Xmx48m"),
                List.of("--config", setup.config().toString(), "backup", "--type", "full"))) {
            int code = backup.waitFor(Duration.ofMinutes(5));
            assertThat(code).as(backup.transcript()).isZero();
            assertThat(backup.transcript()).contains("✔ backup").doesNotContain("OutOfMemoryError");
        }
        CliRun info = setup.cli("info", "--output", "json");
        JsonNode b = new ObjectMapper().readTree(info.out()).get("backups").get(0);
        long files = 0;
        try (ManifestReader m = ManifestReader.open(setup.objects(), BackupLabel.parse(b.get("label").asText()))) {
            for (var e : m) {
                if (e.path().startsWith("pgwarden_many_files/") && e.type() == org.pgwarden.repo.ManifestEntry.Type.FILE) {
                    files++;
                }
            }
        }
        assertThat(files).isEqualTo((long) DIRECTORIES * FILES_PER_DIRECTORY);
    }
}
