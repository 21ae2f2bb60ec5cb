package org.pgwarden.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import org.pgwarden.adapter.fs.FilesystemObjectStore;
import org.pgwarden.adapter.kms.KmsKeyWrapper;
import org.pgwarden.codec.Codec;
import org.pgwarden.common.RetryPolicy;
import org.pgwarden.config.EncryptionConfig;
import org.pgwarden.crypto.DataKeyCache;
import org.pgwarden.crypto.KeyWrapper;
import org.pgwarden.crypto.LocalKeyFileWrapper;
import org.pgwarden.metrics.Metrics;
import org.pgwarden.repo.Keyring;
import org.pgwarden.repo.SealedObjects;
import org.pgwarden.storage.ObjectKey;
import org.pgwarden.testing.CliRun;
import org.pgwarden.testing.KmsTestEndpoint;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code pgwarden rekey}: local key → local key → KMS, each time the old master key is destroyed. */
class RekeyIT {
    private static KmsTestEndpoint kms;

    @TempDir
    Path dir;

    @BeforeAll
    static void startKms() {
        kms = KmsTestEndpoint.start();
        // The KMS client reads credentials from the AWS default chain, as in production.
        System.setProperty("aws.accessKeyId", "test");
        System.setProperty("aws.secretAccessKey", "test");
    }

    @AfterAll
    static void stopKms() {
        kms.close();
    }

    private Path writeConfig(String encryptionYaml) throws Exception {
        Path file = dir.resolve("pgwarden.yaml");
        Files.writeString(file, """
                stanza: main
                postgres:
                  data-directory: /var/lib/postgresql/15/main
                repository:
                  type: filesystem
                  filesystem:
                    path: %s
                encryption:
                %s
                """.formatted(dir.resolve("repository"), encryptionYaml.indent(2).stripTrailing()));
        return file;
    }

    private static SealedObjects objects(Path repository, KeyWrapper wrapper) {
        FilesystemObjectStore store = new FilesystemObjectStore(repository);
        Keyring keyring = new Keyring(store, "main", wrapper, new DataKeyCache(Duration.ZERO, 16, Clock.systemUTC()),
                Clock.systemUTC());
        return new SealedObjects(store, "main", keyring, Codec.zstd(1));
    }

    private static String read(SealedObjects objects, String key) throws Exception {
        try (InputStream in = objects.open(new ObjectKey(key))) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    @Test
    void rekeyMovesTheKeyringAndTheOldMasterKeyIsNoLongerNeeded() throws Exception {
        Path repository = Files.createDirectories(dir.resolve("repository"));
        Path oldKey = dir.resolve("old.key");
        Path newKey = dir.resolve("new.key");
        assertThat(CliRun.run("key", "generate", "--file", oldKey.toString()).exitCode()).isZero();
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(oldKey))).isEqualTo("rw-------");
        assertThat(CliRun.run("key", "generate", "--file", oldKey.toString()).exitCode())
                .as("never overwrites a key").isNotZero();
        assertThat(CliRun.run("key", "generate", "--file", newKey.toString()).exitCode()).isZero();

        try (KeyWrapper old = LocalKeyFileWrapper.open(oldKey)) {
            SealedObjects objects = objects(repository, old);
            objects.put(new ObjectKey("data/one"), new ByteArrayInputStream("first".getBytes(StandardCharsets.UTF_8)));
            objects.put(new ObjectKey("data/two"), new ByteArrayInputStream("second".getBytes(StandardCharsets.UTF_8)),
                    keyringOf(repository, old).newDataKey());
        }
        byte[] before = Files.readAllBytes(repository.resolve("data/one"));

        Path config = writeConfig("provider: local\nlocal:\n  key-file: " + oldKey);
        CliRun toLocal = CliRun.run("--config", config.toString(), "rekey", "--to", "local:" + newKey);
        assertThat(toLocal.exitCode()).as(toLocal.all()).isZero();
        assertThat(toLocal.out()).contains("✔ re-wrapped 2 data key(s)").contains("key-file: " + newKey);
        Files.delete(oldKey);
        assertThat(Files.readAllBytes(repository.resolve("data/one"))).as("data objects untouched").isEqualTo(before);
        try (KeyWrapper next = LocalKeyFileWrapper.open(newKey)) {
            SealedObjects objects = objects(repository, next);
            assertThat(read(objects, "data/one")).isEqualTo("first");
            assertThat(read(objects, "data/two")).isEqualTo("second");
        }

        String keyId = kms.createKey();
        config = writeConfig("provider: local\nlocal:\n  key-file: " + newKey);
        CliRun toKms = CliRun.run("--config", config.toString(), "rekey", "--to", "kms:" + keyId,
                "--kms-endpoint", kms.endpoint().toString());
        assertThat(toKms.exitCode()).as(toKms.all()).isZero();
        assertThat(toKms.out()).contains("provider: kms").contains("key-id: " + keyId);
        Files.delete(newKey);
        try (KeyWrapper viaKms = KmsKeyWrapper.open(new EncryptionConfig.Kms(keyId, "us-east-1",
                java.util.Optional.of(kms.endpoint()), RetryPolicy.none(), Duration.ZERO), Metrics.noop())) {
            SealedObjects objects = objects(repository, viaKms);
            assertThat(read(objects, "data/one")).isEqualTo("first");
            assertThat(read(objects, "data/two")).isEqualTo("second");
        }
    }

    @Test
    void aTargetThatIsNotAMasterKeyIsAUsageError() throws Exception {
        Path config = writeConfig("provider: local\nlocal:\n  key-file: /etc/pgwarden/none.key");
        CliRun r = CliRun.run("--config", config.toString(), "rekey", "--to", "alias/foo");
        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.err()).contains("--to 'alias/foo' is not a master key").contains("kms:<key id");
    }

    private static Keyring keyringOf(Path repository, KeyWrapper wrapper) {
        return new Keyring(new FilesystemObjectStore(repository), "main", wrapper,
                new DataKeyCache(Duration.ZERO, 16, Clock.systemUTC()), Clock.systemUTC());
    }
}
