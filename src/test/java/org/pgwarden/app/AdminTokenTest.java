package org.pgwarden.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.pgwarden.common.ErrorCode;
import org.pgwarden.common.PgwardenException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AdminTokenTest {
    private static final String TOKEN = "Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MA==";

    @TempDir
    Path dir;

    private Path givenTokenFile(String content, String mode) throws Exception {
        Path f = dir.resolve("admin.token");
        Files.writeString(f, content);
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString(mode));
        return f;
    }

    @Test
    void aPrivateFileOwnedByTheDaemonUserGivesItsTokenWithoutTheNewline() throws Exception {
        Path f = givenTokenFile(TOKEN + "\n", "rw-------");
        assertThat(AdminToken.loadForDaemon(f).reveal()).isEqualTo(TOKEN);
        assertThat(AdminToken.loadForDaemon(givenTokenFile(TOKEN, "r--------")).reveal()).isEqualTo(TOKEN);
    }

    @Test
    void aFileOthersMayReadIsRefusedNamingTheFileButNotTheToken() throws Exception {
        Path f = givenTokenFile(TOKEN, "rw-r--r--");
        assertThatThrownBy(() -> AdminToken.loadForDaemon(f)).isInstanceOfSatisfying(PgwardenException.class, e -> {
            assertThat(e.errorCode()).isEqualTo(ErrorCode.ADMIN_TOKEN_INVALID);
            assertThat(e.getMessage()).isEqualTo("admin token file '" + f + "' has mode 0644; it must be 0600 or"
                    + " stricter (readable by its owner only)");
            assertThat(e.describe()).contains("chmod 600 " + f).doesNotContain(TOKEN);
        });
        Path g = givenTokenFile(TOKEN, "rw-rw----");
        assertThatThrownBy(() -> AdminToken.loadForDaemon(g)).hasMessageContaining("has mode 0660");
    }

    @Test
    void aFileOwnedByAnotherUserIsRefused() throws Exception {
        // The tests run as root (see README, Development), so the file can be handed to postgres.
        assertThat(System.getProperty("user.name")).isEqualTo("root");
        Path f = givenTokenFile(TOKEN, "rw-------");
        org.pgwarden.testing.BackupSetup.givePostgres(f);
        assertThatThrownBy(() -> AdminToken.loadForDaemon(f)).isInstanceOfSatisfying(PgwardenException.class, e -> {
            assertThat(e.getMessage()).isEqualTo("admin token file '" + f + "' is owned by 'postgres', not by 'root',"
                    + " the user the daemon runs as");
            assertThat(e.describe()).contains("HINT: chown root " + f);
        });
        // The command line only reads it (root or the daemon's user may).
        assertThat(AdminToken.read(f).reveal()).isEqualTo(TOKEN);
    }

    @Test
    void missingShortOrEmptyFilesAreRefused() throws Exception {
        assertThatThrownBy(() -> AdminToken.loadForDaemon(dir.resolve("none")))
                .hasMessageContaining("admin token file '" + dir.resolve("none") + "' does not exist");
        Path shortToken = givenTokenFile("abc\n", "rw-------");
        assertThatThrownBy(() -> AdminToken.loadForDaemon(shortToken))
                .hasMessageContaining("must hold one token of at least 16 printable characters");
        Path spaced = givenTokenFile("abcdefgh ijklmnopq", "rw-------");
        assertThatThrownBy(() -> AdminToken.read(spaced)).isInstanceOf(PgwardenException.class);
    }
}
