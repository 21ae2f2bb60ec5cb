package org.pgwarden.adapter.kms;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pgwarden.codec.Codec;
import org.pgwarden.common.ErrorCode;
import org.pgwarden.common.PgwardenException;
import org.pgwarden.common.Retrier;
import org.pgwarden.common.RetryPolicy;
import org.pgwarden.crypto.DataKeyCache;
import org.pgwarden.crypto.KeyWrapper;
import org.pgwarden.crypto.LocalKeyFileWrapper;
import org.pgwarden.crypto.UnsealingInputStream;
import org.pgwarden.metrics.Metrics;
import org.pgwarden.repo.Keyring;
import org.pgwarden.repo.SealedObjects;
import org.pgwarden.storage.ObjectKey;
import org.pgwarden.testing.InMemoryObjectStore;
import org.pgwarden.testing.KmsTestEndpoint;
import software.amazon.awssdk.services.kms.KmsClient;

/** {@code rekey} between providers: afterwards only the new master key is needed. */
class KmsRekeyIT {
    static final KmsTestEndpoint KMS = KmsTestEndpoint.start();
    static final KmsClient CLIENT = KMS.client();
    static final String REPO = "main";

    @TempDir
    Path dir;
    final InMemoryObjectStore store = new InMemoryObjectStore();
    final Map<ObjectKey, byte[]> plain = new LinkedHashMap<>();

    @AfterAll
    static void stop() {
        CLIENT.close();
        KMS.close();
    }

    @Test
    void localToKms() throws IOException {
        Path aFile = dir.resolve("a.key");
        LocalKeyFileWrapper.generateKeyFile(aFile);
        String b = KMS.createKey();
        try (LocalKeyFileWrapper a = LocalKeyFileWrapper.open(aFile)) {
            givenObjects(a);
            try (KeyWrapper to = kms(b)) {
                assertThat(Keyring.rekey(store, REPO, a, to).rewrapped()).isEqualTo(2);
            }
        }
        Files.delete(aFile);
        try (KeyWrapper to = kms(b)) {
            assertReadable(to);
        }
    }

    @Test
    void kmsToKmsUsesReEncryptAndTheOldKeyIsNoLongerNeeded() throws IOException {
        String a = KMS.createKey();
        String b = KMS.createKey();
        try (KeyWrapper from = kms(a); KeyWrapper to = kms(b)) {
            givenObjects(from);
            KMS.resetCounters();
            assertThat(Keyring.rekey(store, REPO, from, to).rewrapped()).isEqualTo(2);
            assertThat(KMS.calls("ReEncrypt")).isEqualTo(2);
            assertThat(KMS.calls("Encrypt")).isZero();
        }
        KMS.deleteKey(a);
        try (KeyWrapper to = kms(b)) {
            assertReadable(to);
        }
        try (KeyWrapper from = kms(a)) {
            assertThatThrownBy(() -> keyring(from).currentDataKey())
                    .isInstanceOf(PgwardenException.class);
        }
    }

    @Test
    void kmsToLocal() throws IOException {
        String a = KMS.createKey();
        Path bFile = dir.resolve("b.key");
        LocalKeyFileWrapper.generateKeyFile(bFile);
        try (KeyWrapper from = kms(a); LocalKeyFileWrapper to = LocalKeyFileWrapper.open(bFile)) {
            givenObjects(from);
            Keyring.rekey(store, REPO, from, to);
        }
        KMS.denyAccess(a);
        try (LocalKeyFileWrapper to = LocalKeyFileWrapper.open(bFile)) {
            assertReadable(to);
        }
    }

    @Test
    void deniedTargetKeyLeavesTheKeyringUnchanged() {
        String a = KMS.createKey();
        String b = KMS.createKey();
        try (KeyWrapper from = kms(a); KeyWrapper to = kms(b)) {
            givenObjects(from);
            Map<String, byte[]> before = new LinkedHashMap<>();
            store.keys().forEach(k -> before.put(k, store.bytes(new ObjectKey(k))));
            KMS.denyAccess(b);
            assertThatThrownBy(() -> Keyring.rekey(store, REPO, from, to)).isInstanceOfSatisfying(
                    PgwardenException.class, e -> {
                        assertThat(e.errorCode()).isEqualTo(ErrorCode.KEY_ACCESS_DENIED);
                        assertThat(e.getMessage()).contains("'" + a + "'");
                    });
            store.keys().forEach(k -> assertThat(store.bytes(new ObjectKey(k))).isEqualTo(before.get(k)));
        }
    }

    void givenObjects(KeyWrapper w) {
        Keyring ring = keyring(w);
        SealedObjects objects = new SealedObjects(store, REPO, ring, Codec.zstd(1));
        for (int i = 0; i < 3; i++) {
            if (i == 2) {
                ring.newDataKey();
            }
            ObjectKey key = ObjectKey.of("wal", "000000010000000000000001." + i);
            byte[] data = new byte[20_000];
            new Random(i).nextBytes(data);
            objects.put(key, new ByteArrayInputStream(data));
            plain.put(key, data);
        }
    }

    void assertReadable(KeyWrapper w) throws IOException {
        SealedObjects objects = new SealedObjects(store, REPO, keyring(w), Codec.none());
        for (Map.Entry<ObjectKey, byte[]> e : plain.entrySet()) {
            try (UnsealingInputStream in = objects.open(e.getKey())) {
                assertThat(in.readAllBytes()).isEqualTo(e.getValue());
            }
        }
    }

    Keyring keyring(KeyWrapper w) {
        return new Keyring(store, REPO, w, new DataKeyCache(Duration.ofMinutes(15), 100, Clock.systemUTC()),
                Clock.systemUTC());
    }

    static KmsKeyWrapper kms(String keyId) {
        return new KmsKeyWrapper(CLIENT, keyId, "test", new Retrier(RetryPolicy.none(),
                KmsKeyWrapper.listener(Metrics.noop())), false);
    }
}
