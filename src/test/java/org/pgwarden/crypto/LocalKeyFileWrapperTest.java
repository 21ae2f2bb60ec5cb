package org.pgwarden.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pgwarden.common.ErrorCode;
import org.pgwarden.common.PgwardenException;

class LocalKeyFileWrapperTest {
    @TempDir
    Path dir;

    @Test
    void generatedKeyFileIsOwnerOnlyAndOpens() throws IOException {
        Path file = dir.resolve("master.key");
        LocalKeyFileWrapper.generateKeyFile(file);
        assertThat(Files.size(file)).isEqualTo(32);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
        try (LocalKeyFileWrapper w = LocalKeyFileWrapper.open(file)) {
            assertThat(w.masterKeyId()).matches("local:[0-9a-f]{16}");
        }
    }

    @Test
    void generateRefusesToOverwrite() {
        Path file = givenKeyFile("a.key");
        assertThatThrownBy(() -> LocalKeyFileWrapper.generateKeyFile(file))
                .satisfies(e -> assertCode(e, ErrorCode.KEY_FILE_INVALID, "already exists"));
    }

    @Test
    void wrapsAndUnwrapsDataKeys() {
        try (LocalKeyFileWrapper w = LocalKeyFileWrapper.open(givenKeyFile("a.key"))) {
            DataKey dk = w.generateDataKey();
            assertThat(dk.masterKeyId()).isEqualTo(w.masterKeyId());
            assertThat(dk.plaintext()).hasSize(32);
            assertThat(w.unwrap(dk.wrapped())).isEqualTo(dk.plaintext());
            assertThat(w.wrap(dk.plaintext())).isNotEqualTo(dk.wrapped());
        }
    }

    @Test
    void keyIdIsAStableFingerprintThatRevealsNothing() throws IOException {
        Path file = givenKeyFile("a.key");
        String hex = HexFormat.of().formatHex(Files.readAllBytes(file));
        try (LocalKeyFileWrapper a = LocalKeyFileWrapper.open(file); LocalKeyFileWrapper b = LocalKeyFileWrapper.open(file);
                LocalKeyFileWrapper c = LocalKeyFileWrapper.open(givenKeyFile("c.key"))) {
            assertThat(a.masterKeyId()).isEqualTo(b.masterKeyId()).isNotEqualTo(c.masterKeyId());
            assertThat(hex).doesNotContain(a.masterKeyId().substring(6));
            assertThat(a.toString()).doesNotContain(hex.substring(0, 16));
        }
    }

    @Test
    void anotherMasterKeyCannotUnwrap() {
        try (LocalKeyFileWrapper a = LocalKeyFileWrapper.open(givenKeyFile("a.key"));
                LocalKeyFileWrapper b = LocalKeyFileWrapper.open(givenKeyFile("b.key"))) {
            byte[] wrapped = a.generateDataKey().wrapped();
            assertThatThrownBy(() -> b.unwrap(wrapped))
                    .satisfies(e -> assertCode(e, ErrorCode.INTEGRITY_WRONG_KEY, b.masterKeyId()));
            byte[] damaged = wrapped.clone();
            damaged[20] ^= 1;
            assertThatThrownBy(() -> a.unwrap(damaged))
                    .satisfies(e -> assertCode(e, ErrorCode.INTEGRITY_WRONG_KEY, a.masterKeyId()));
        }
    }

    @Test
    void rewrapMovesADataKeyToAnotherMasterKey() {
        try (LocalKeyFileWrapper a = LocalKeyFileWrapper.open(givenKeyFile("a.key"));
                LocalKeyFileWrapper b = LocalKeyFileWrapper.open(givenKeyFile("b.key"))) {
            DataKey dk = a.generateDataKey();
            assertThat(b.unwrap(a.rewrap(dk.wrapped(), b))).isEqualTo(dk.plaintext());
        }
    }

    @Test
    void refusesGroupOrOtherReadableFile() throws IOException {
        Path file = givenKeyFile("a.key");
        for (String mode : new String[] {"rw-r-----", "rw----r--", "rw--w----", "r--r--r--"}) {
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString(mode));
            assertThatThrownBy(() -> LocalKeyFileWrapper.open(file)).satisfies(e -> {
                assertCode(e, ErrorCode.KEY_FILE_INVALID, "'" + file + "'");
                assertThat(e.getMessage()).contains("group or others", "0600");
                assertThat(((PgwardenException) e).hint()).contains("run 'chmod 600 " + file + "'");
            });
        }
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("r--------"));
        LocalKeyFileWrapper.open(file).close();
    }

    @Test
    void refusesWrongSize() throws IOException {
        for (int size : new int[] {0, 16, 31, 33, 44}) {
            Path file = dir.resolve("size" + size);
            Files.write(file, new byte[size]);
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
            assertThatThrownBy(() -> LocalKeyFileWrapper.open(file))
                    .satisfies(e -> assertCode(e, ErrorCode.KEY_FILE_INVALID, "holds " + size + " bytes; expected exactly 32"));
        }
    }

    @Test
    void refusesMissingFileAndDirectory() {
        assertThatThrownBy(() -> LocalKeyFileWrapper.open(dir.resolve("nope")))
                .satisfies(e -> assertCode(e, ErrorCode.KEY_FILE_INVALID, "does not exist"));
        assertThatThrownBy(() -> LocalKeyFileWrapper.open(dir))
                .satisfies(e -> assertCode(e, ErrorCode.KEY_FILE_INVALID, "not a regular file"));
    }

    @Test
    void closedWrapperRefusesWork() {
        LocalKeyFileWrapper w = LocalKeyFileWrapper.open(givenKeyFile("a.key"));
        byte[] wrapped = w.generateDataKey().wrapped();
        w.close();
        assertThatThrownBy(() -> w.unwrap(wrapped)).isInstanceOf(IllegalStateException.class);
    }

    Path givenKeyFile(String name) {
        Path file = dir.resolve(name);
        LocalKeyFileWrapper.generateKeyFile(file);
        return file;
    }

    static void assertCode(Throwable e, ErrorCode code, String messagePart) {
        assertThat(e).isInstanceOf(PgwardenException.class);
        assertThat(((PgwardenException) e).errorCode()).isEqualTo(code);
        assertThat(e.getMessage()).contains(messagePart);
    }
}
