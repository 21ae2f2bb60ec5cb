package org.pgwarden.restore;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The restore_command for staged WAL, run by /bin/sh as PostgreSQL runs it. */
class WalStagingTest {
    private static final String SEGMENT = "000000010000000000000003";

    @TempDir
    Path dir;

    /** Runs the command with %f and %p replaced, as PostgreSQL does, from {@code cwd}; returns the exit code. */
    private static int run(String command, String file, String path, Path cwd) throws Exception {
        Process p = new ProcessBuilder("/bin/sh", "-c", command.replace("%f", file).replace("%p", path))
                .directory(cwd.toFile()).redirectErrorStream(true).start();
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        return p.exitValue();
    }

    @Test
    void aStagedFileIsMovedIntoPlaceEvenUnderAQuotedPath() throws Exception {
        Path staging = Files.createDirectories(dir.resolve("it's staged"));
        Path pgwal = Files.createDirectories(dir.resolve("pg_wal"));
        Files.writeString(staging.resolve(SEGMENT), "wal bytes");
        String command = WalStaging.restoreCommand(staging, "sh -c 'exit 1'");

        assertThat(run(command, SEGMENT, "pg_wal/RECOVERYXLOG", dir)).isZero();
        assertThat(pgwal.resolve("RECOVERYXLOG")).hasContent("wal bytes");
        assertThat(staging.resolve(SEGMENT)).doesNotExist();
    }

    @Test
    void anythingNotStagedGoesToTheFallbackWithItsExitCode() throws Exception {
        Path staging = Files.createDirectories(dir.resolve("staged"));
        Files.createDirectories(dir.resolve("pg_wal"));
        Path marker = dir.resolve("asked");
        String command = WalStaging.restoreCommand(staging, "sh -c 'echo %f > " + marker + "; exit 1'");

        assertThat(run(command, "00000002.history", "pg_wal/RECOVERYHISTORY", dir)).isEqualTo(1);
        assertThat(marker).hasContent("00000002.history\n");
    }

    @Test
    void aNameTheArchiveDidNotHoldIsAnsweredWithoutTheFallbackAndAnArchivedOneGoesToIt() throws Exception {
        Path staging = Files.createDirectories(dir.resolve("staged"));
        Files.createDirectories(dir.resolve("pg_wal"));
        Files.writeString(staging.resolve(WalStaging.ARCHIVED_LIST), "00000001.history\n" + SEGMENT + "\n");
        Path marker = dir.resolve("asked");
        String command = WalStaging.restoreCommand(staging, "sh -c 'echo %f >> " + marker + "; exit 0'");

        // probes for the next timeline and for the segment after the end: not archived, no fallback
        assertThat(run(command, "00000002.history", "pg_wal/RECOVERYHISTORY", dir)).isEqualTo(1);
        assertThat(run(command, "000000010000000000000004", "pg_wal/RECOVERYXLOG", dir)).isEqualTo(1);
        assertThat(run(command, "0000000100000000000000", "pg_wal/RECOVERYXLOG", dir)).isEqualTo(1);
        assertThat(marker).doesNotExist();
        // archived but not staged by this restore: the fallback
        assertThat(run(command, SEGMENT, "pg_wal/RECOVERYXLOG", dir)).isZero();
        assertThat(marker).hasContent(SEGMENT + "\n");
    }

    @Test
    void aStagedFileAskedForAgainIsCopiedFromPgWalAndAStaleOneThereIsNot() throws Exception {
        Path staging = Files.createDirectories(dir.resolve("staged"));
        Path pgwal = Files.createDirectories(dir.resolve("pg_wal"));
        String other = "000000010000000000000004";
        Files.writeString(staging.resolve(WalStaging.ARCHIVED_LIST), SEGMENT + "\n" + other + "\n");
        Files.writeString(staging.resolve(WalStaging.STAGED_LIST), SEGMENT + "\n");
        // recovery moved the staged segment out and kept it in pg_wal under its name, as PostgreSQL does
        Files.writeString(pgwal.resolve(SEGMENT), "verified wal");
        // a file this restore did not stage, left in pg_wal (another history, say)
        Files.writeString(pgwal.resolve(other), "stale wal");
        Path marker = dir.resolve("asked");
        String command = WalStaging.restoreCommand(staging, "sh -c 'echo %f >> " + marker + "; exit 0'");

        // the end of recovery reads the segment it stopped in again: a copy, no fallback
        assertThat(run(command, SEGMENT, "pg_wal/RECOVERYXLOG", dir)).isZero();
        assertThat(pgwal.resolve("RECOVERYXLOG")).hasContent("verified wal");
        assertThat(pgwal.resolve(SEGMENT)).hasContent("verified wal");
        assertThat(marker).doesNotExist();
        // archived, in pg_wal, but not staged here: never taken from pg_wal
        assertThat(run(command, other, "pg_wal/RECOVERYXLOG", dir)).isZero();
        assertThat(marker).hasContent(other + "\n");
        assertThat(pgwal.resolve("RECOVERYXLOG")).hasContent("verified wal");
    }

    @Test
    void aFailedMoveStopsRecoveryInsteadOfEndingIt() throws Exception {
        Path staging = Files.createDirectories(dir.resolve("staged"));
        Files.writeString(staging.resolve(SEGMENT), "wal bytes");
        String command = WalStaging.restoreCommand(staging, "sh -c 'exit 0'");

        // no pg_wal directory: the move fails, and 126 makes PostgreSQL stop with FATAL, not promote early
        assertThat(run(command, SEGMENT, "pg_wal/RECOVERYXLOG", dir)).isEqualTo(126);
        assertThat(staging.resolve(SEGMENT)).exists();
    }
}
