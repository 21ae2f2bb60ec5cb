package org.pgwarden.wal;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.pgwarden.adapter.fs.FilesystemObjectStore;
import org.pgwarden.adapter.process.PgBinaries;
import org.pgwarden.repo.WalArchiveIndex;
import org.pgwarden.testing.BackupSetup;
import org.pgwarden.testing.CliRun;
import org.pgwarden.testing.Distribution;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * PostgreSQL itself recovers through {@code restore_command = 'bin/pgwarden wal-fetch %f %p'}: a
 * base copy taken before some writes replays the archived WAL, reads exit code 1 at the end of
 * the archive as "recovery is complete", promotes, and has every row.
 */
class WalFetchRecoveryIT {
    @TempDir
    Path dir;

    @Test
    void aBaseBackupRecoversToTheEndOfTheArchive() throws Exception {
        try (BackupSetup setup = BackupSetup.start(dir, Map.of(), "restore:\n  wal-prefetch: 4\n  spool-directory: "
                + dir.resolve("spool") + "\n")) {
            Files.createDirectories(dir.resolve("spool"));
            BackupSetup.givePostgres(dir.resolve("spool"));
            CliRun created = setup.cli("stanza-create");
            assertThat(created.exitCode()).as(created.all()).isZero();
            Path bin = setup.pg().cluster().binaries().path(PgBinaries.Program.POSTGRES).getParent();
            Path copy = Files.createDirectory(dir.resolve("copy"), java.nio.file.attribute.PosixFilePermissions
                    .asFileAttribute(java.nio.file.attribute.PosixFilePermissions.fromString("rwx------")));
            BackupSetup.givePostgres(copy);
            Path logs = Files.createDirectory(dir.resolve("logs"));
            BackupSetup.givePostgres(logs);
            asPostgres(bin.resolve("pg_basebackup").toString(), "-h", setup.pg().cluster().socketDirectory().toString(),
                    "-p", Integer.toString(setup.pg().cluster().port()), "-U", "postgres", "-D", copy.toString(),
                    "-X", "none", "-c", "fast", "--no-sync");

            setup.pg().sql("CREATE TABLE after_copy (id int, v text)");
            for (int i = 0; i < 5; i++) {
                setup.pg().sql("INSERT INTO after_copy SELECT g, md5(g::text) FROM generate_series(1, 20000) g");
                awaitArchived(setup, setup.pg().queryString("SELECT pg_walfile_name(pg_switch_wal())"));
            }

            int port;
            try (ServerSocket s = new ServerSocket(0)) {
                port = s.getLocalPort();
            }
            Files.writeString(copy.resolve("postgresql.auto.conf"), "\nport = " + port + "\narchive_mode = off\n"
                    + "restore_command = '" + Distribution.launcher() + " --config " + setup.config()
                    + " wal-fetch %f %p'\n", StandardCharsets.UTF_8, StandardOpenOption.APPEND);
            Files.createFile(copy.resolve("recovery.signal"));
            BackupSetup.givePostgres(copy.resolve("recovery.signal"));
            try {
                asPostgres(bin.resolve("pg_ctl").toString(), "-D", copy.toString(), "-l",
                        logs.resolve("copy.log").toString(), "-w", "-t", "180", "start");
                String psql = bin.resolve("psql").toString();
                awaitPromoted(psql, setup, port, logs.resolve("copy.log"));
                assertThat(asPostgres(psql, "-h", setup.pg().cluster().socketDirectory().toString(), "-p",
                        Integer.toString(port), "-U", "postgres", "-At", "-c", "SELECT count(*) FROM after_copy").trim())
                        .isEqualTo("100000");
                String log = Files.readString(logs.resolve("copy.log"));
                assertThat(log).contains("restored log file").contains("archive recovery complete")
                        .as("pgwarden's own lines reach the server log").contains("restored from the prefetch spool")
                        .contains("is not in the archive").doesNotContain("error: [PGW");
            } finally {
                runAsPostgres(bin.resolve("pg_ctl").toString(), "-D", copy.toString(), "-m", "immediate", "stop");
            }
        }
    }

    private static void awaitPromoted(String psql, BackupSetup setup, int port, Path log) throws Exception {
        long deadline = System.nanoTime() + Duration.ofMinutes(3).toNanos();
        while (true) {
            Result r = runAsPostgres(psql, "-h", setup.pg().cluster().socketDirectory().toString(), "-p",
                    Integer.toString(port), "-U", "postgres", "-At", "-c", "SELECT pg_is_in_recovery()");
            if (r.code == 0 && r.output.trim().equals("f")) {
                return;
            }
            assertThat(System.nanoTime()).as("promoted within 3 minutes; server log:\n"
                    + Files.readString(log)).isLessThan(deadline);
            TimeUnit.MILLISECONDS.sleep(300);
        }
    }

    private static void awaitArchived(BackupSetup setup, String name) throws InterruptedException {
        WalArchiveIndex index = new WalArchiveIndex(new FilesystemObjectStore(setup.repository()));
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (index.find(name).isEmpty()) {
            assertThat(System.nanoTime()).as("'" + name + "' archived within 60s").isLessThan(deadline);
            TimeUnit.MILLISECONDS.sleep(100);
        }
    }

    private record Result(int code, String output) {
    }

    private static String asPostgres(String... command) throws IOException, InterruptedException {
        Result r = runAsPostgres(command);
        assertThat(r.code).as(String.join(" ", command) + ":\n" + r.output).isZero();
        return r.output;
    }

    private static Result runAsPostgres(String... command) throws IOException, InterruptedException {
        List<String> all = new ArrayList<>(List.of("runuser", "-u", "postgres", "--"));
        all.addAll(List.of(command));
        Process p = new ProcessBuilder(all).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        return new Result(p.waitFor(), out);
    }
}
