package org.pgwarden.restore;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.stream.Stream;
import org.pgwarden.crypto.LocalKeyFileWrapper;
import org.pgwarden.repo.BackupInfo;
import org.pgwarden.repo.BackupCatalog;
import org.pgwarden.testing.BackupSetup;
import org.pgwarden.testing.CliRun;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Restores that cannot succeed fail loudly, name what is wrong, print no summary and leave
 * nothing that looks like a restored cluster: the wrong master key, a target before anything is
 * recoverable, an object missing from the repository.
 */
class RestoreBadInputIT {
    @TempDir
    static Path dir;
    private static BackupSetup setup;
    private static Path restores;
    private static BackupInfo backup;

    @BeforeAll
    static void start() throws Exception {
        setup = BackupSetup.start(dir, Map.of(), "");
        restores = Files.createDirectories(dir.resolve("restores"));
        Files.setPosixFilePermissions(restores, PosixFilePermissions.fromString("rwxr-xr-x"));
        setup.pg().sql("CREATE TABLE t (id int PRIMARY KEY, v text)",
                "INSERT INTO t SELECT g, md5(g::text) FROM generate_series(1, 20000) g");
        assertThat(setup.cli("stanza-create").exitCode()).isZero();
        CliRun full = setup.cli("backup", "--type", "full");
        assertThat(full.exitCode()).as(full.all()).isZero();
        backup = new BackupCatalog(setup.open().store(), setup.objects()).list().get(0);
    }

    @AfterAll
    static void stop() {
        setup.close();
    }

    @Test
    void aDifferentKeyFileFailsNamingTheKeyAndRestoresNothing() throws Exception {
        Path otherKey = dir.resolve("other.key");
        LocalKeyFileWrapper.generateKeyFile(otherKey);
        Path config = dir.resolve("other-key.yaml");
        Files.writeString(config, Files.readString(setup.config()).replace(setup.key().toString(), otherKey.toString()));
        Path pgdata = restores.resolve("wrong-key");

        CliRun r = CliRun.run("--config", config.toString(), "restore", "--pgdata", pgdata.toString(),
                "--target", "immediate");
        assertThat(r.exitCode()).as(r.all()).isEqualTo(4);
        assertThat(r.err()).contains("[PGW054]").contains("'backup/" + backup.label() + "/manifest'")
                .contains("the configured master key is '" + LocalKeyFileWrapper.open(otherKey).masterKeyId() + "'");
        assertRestoredNothing(r, pgdata);
    }

    @Test
    void aTargetBeforeTheOldestBackupNamesTheOldestRecoverablePoint() throws Exception {
        Path pgdata = restores.resolve("too-early");
        CliRun time = setup.cli("restore", "--pgdata", pgdata.toString(), "--target-time", "2001-01-01T00:00:00Z");
        assertThat(time.exitCode()).as(time.all()).isEqualTo(2);
        assertThat(time.err()).contains("target time 2001-01-01T00:00:00Z is before the oldest backup ended: the oldest"
                + " recoverable point")
                .contains(backup.header().stopTime().toString()).contains(backup.label().toString());
        assertRestoredNothing(time, pgdata);

        CliRun lsn = setup.cli("restore", "--pgdata", pgdata.toString(), "--target-lsn", "0/10");
        assertThat(lsn.exitCode()).as(lsn.all()).isEqualTo(2);
        assertThat(lsn.err()).contains("target LSN 0/10 is before the oldest backup ended: the oldest recoverable point")
                .contains(backup.header().stopLsn());
        assertRestoredNothing(lsn, pgdata);
    }

    @Test
    void aMissingObjectFailsTheRestoreNamingIt() throws Exception {
        Path object;
        try (Stream<Path> s = Files.walk(setup.repository().resolve("backup"))) {
            object = s.filter(p -> p.getParent().getFileName().toString().equals("data")).sorted().findFirst()
                    .orElseThrow();
        }
        Path aside = dir.resolve("aside");
        Files.move(object, aside);
        Path pgdata = restores.resolve("missing-object");
        try {
            CliRun r = setup.cli("restore", "--pgdata", pgdata.toString(), "--target", "immediate");
            assertThat(r.exitCode()).as(r.all()).isNotZero();
            assertThat(r.err()).contains("[PGW032]")
                    .contains(setup.repository().relativize(object).toString());
            assertThat(r.out()).doesNotContain("restored").doesNotContain("next:");
            assertThat(pgdata.resolve("global/pg_control")).as("a half-restored directory must not look startable")
                    .doesNotExist();
            assertThat(pgdata.resolve("backup_label")).doesNotExist();
            assertThat(pgdata.resolve("recovery.signal")).doesNotExist();
        } finally {
            Files.move(aside, object, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    private static void assertRestoredNothing(CliRun r, Path pgdata) throws Exception {
        assertThat(r.out()).doesNotContain("✔").doesNotContain("restored").doesNotContain("next:");
        RestoreTablespaceIT.assertNothingIn(pgdata);
    }
}
