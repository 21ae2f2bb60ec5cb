package org.pgwarden.repo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pgwarden.codec.Codec;
import org.pgwarden.common.ErrorCode;
import org.pgwarden.common.PgwardenException;
import org.pgwarden.crypto.DataKey;
import org.pgwarden.crypto.DataKeyCache;
import org.pgwarden.crypto.KeyWrapper;
import org.pgwarden.crypto.LocalKeyFileWrapper;
import org.pgwarden.crypto.SealingKey;
import org.pgwarden.crypto.UnsealingInputStream;
import org.pgwarden.storage.ObjectKey;
import org.pgwarden.testing.InMemoryObjectStore;

class KeyringTest {
    static final String REPO = "main";

    @TempDir
    Path dir;
    final InMemoryObjectStore store = new InMemoryObjectStore();
    final MutableClock clock = new MutableClock();

    @Test
    void firstUseCreatesAStoredWrappedKeyThatLaterInstancesFind() throws IOException {
        try (LocalKeyFileWrapper a = givenWrapper("a.key")) {
            SealingKey k = keyring(a).currentDataKey();
            assertThat(k.keyId()).matches("dk-\\d{8}T\\d{6}Z-[0-9a-f]{8}");
            assertThat(store.keys()).containsExactly("keyring/" + k.keyId() + ".json");
            String stored = new String(store.bytes(ObjectKey.of("keyring", k.keyId() + ".json")), StandardCharsets.UTF_8);
            assertThat(stored).contains("\"masterKeyId\" : \"" + a.masterKeyId() + "\"", "\"repositoryId\" : \"main\"")
                    .doesNotContain(Base64.getEncoder().encodeToString(k.copySecret()));
            assertThat(keyring(a).currentDataKey().keyId()).isEqualTo(k.keyId());
            assertThat(keyring(a).resolve(k.keyId()).copySecret()).isEqualTo(k.copySecret());
        }
    }

    @Test
    void newestKeyOfTheConfiguredMasterKeyIsCurrent() {
        try (LocalKeyFileWrapper a = givenWrapper("a.key")) {
            Keyring ring = keyring(a);
            String first = ring.currentDataKey().keyId();
            clock.advance(Duration.ofSeconds(5));
            String second = ring.newDataKey().keyId();
            assertThat(second).isGreaterThan(first);
            assertThat(keyring(a).currentDataKey().keyId()).isEqualTo(second);
            assertThat(keyring(a).entries()).extracting(KeyringEntry::keyId).containsExactly(first, second);
        }
    }

    @Test
    void unknownOrMalformedKeyIdIsUnknownKey() {
        try (LocalKeyFileWrapper a = givenWrapper("a.key")) {
            for (String id : new String[] {"dk-20261124T020000Z-00000000", "../../etc/passwd", "dk-x/y"}) {
                assertThatThrownBy(() -> keyring(a).resolve(id)).isInstanceOfSatisfying(PgwardenException.class,
                        e -> assertThat(e.errorCode()).isEqualTo(ErrorCode.INTEGRITY_UNKNOWN_KEY));
            }
        }
    }

    @Test
    void unwrappedKeysAreCachedForTheTtlOnly() {
        try (CountingWrapper a = new CountingWrapper(givenWrapper("a.key"))) {
            Keyring ring = keyring(a);
            String id = ring.currentDataKey().keyId();
            Keyring reader = keyring(a);
            reader.resolve(id);
            reader.resolve(id);
            assertThat(a.unwraps.get()).isEqualTo(1);
            clock.advance(Duration.ofMinutes(16));
            reader.resolve(id);
            assertThat(a.unwraps.get()).isEqualTo(2);
        }
    }

    @Test
    void cacheIsBoundedAndHandsOutCopies() {
        DataKeyCache cache = new DataKeyCache(Duration.ofMinutes(5), 2, clock);
        for (int i = 0; i < 5; i++) {
            cache.get("k" + i, id -> new SealingKey(id, new byte[32]));
        }
        assertThat(cache.size()).isEqualTo(2);
        SealingKey a = cache.get("k4", id -> { throw new AssertionError("cached"); });
        a.destroy();
        assertThat(cache.get("k4", id -> { throw new AssertionError("cached"); }).copySecret()).hasSize(32);
    }

    @Test
    void keyringOfAnotherRepositoryIsWrongStanza() {
        try (LocalKeyFileWrapper a = givenWrapper("a.key")) {
            String id = keyring(a).currentDataKey().keyId();
            Keyring other = new Keyring(store, "reporting", a, cache(), clock);
            assertThatThrownBy(() -> other.resolve(id)).isInstanceOfSatisfying(PgwardenException.class, e -> {
                assertThat(e.errorCode()).isEqualTo(ErrorCode.INTEGRITY_WRONG_STANZA);
                assertThat(e.getMessage()).contains("'main'", "'reporting'");
            });
        }
    }

    @Test
    void anotherMasterKeyIsWrongKeyWithAHint() {
        try (LocalKeyFileWrapper a = givenWrapper("a.key"); LocalKeyFileWrapper b = givenWrapper("b.key")) {
            String id = keyring(a).currentDataKey().keyId();
            assertThatThrownBy(() -> keyring(b).resolve(id)).isInstanceOfSatisfying(PgwardenException.class, e -> {
                assertThat(e.errorCode()).isEqualTo(ErrorCode.INTEGRITY_WRONG_KEY);
                assertThat(e.getMessage()).contains(a.masterKeyId(), b.masterKeyId());
                assertThat(e.hint()).hasValueSatisfying(h -> assertThat(h).contains("pgwarden rekey"));
            });
        }
    }

    @Test
    void rekeyLocalToLocalKeepsObjectsReadableWithOnlyTheNewKey() throws IOException {
        Path aFile = givenKeyFile("a.key");
        Map<ObjectKey, byte[]> plain = new HashMap<>();
        Map<ObjectKey, byte[]> sealedBefore = new HashMap<>();
        try (LocalKeyFileWrapper a = LocalKeyFileWrapper.open(aFile)) {
            givenObjects(keyring(a), plain);
        }
        plain.keySet().forEach(k -> sealedBefore.put(k, store.bytes(k)));
        Keyring.RekeyResult result;
        try (LocalKeyFileWrapper a = LocalKeyFileWrapper.open(aFile); LocalKeyFileWrapper b = givenWrapper("b.key")) {
            result = Keyring.rekey(store, REPO, a, b);
            assertThat(result.rewrapped()).isEqualTo(2);
            assertThat(Keyring.rekey(store, REPO, a, b).alreadyDone()).isEqualTo(2);
        }
        Files.delete(aFile);
        try (LocalKeyFileWrapper b = LocalKeyFileWrapper.open(dir.resolve("b.key"))) {
            assertThat(result.toMasterKeyId()).isEqualTo(b.masterKeyId());
            assertReadable(keyring(b), plain);
            assertThat(keyring(b).entries()).allMatch(e -> e.masterKeyId().equals(b.masterKeyId()));
        }
        // Data objects were not rewritten.
        plain.keySet().forEach(k -> assertThat(store.bytes(k)).isEqualTo(sealedBefore.get(k)));
    }

    @Test
    void rekeyRefusesEntriesOfAThirdMasterKeyWithoutChangingAnything() {
        try (LocalKeyFileWrapper a = givenWrapper("a.key"); LocalKeyFileWrapper b = givenWrapper("b.key");
                LocalKeyFileWrapper c = givenWrapper("c.key")) {
            keyring(a).currentDataKey();
            keyring(c).newDataKey();
            List<String> before = new ArrayList<>();
            store.keys().forEach(k -> before.add(new String(store.bytes(new ObjectKey(k)), StandardCharsets.UTF_8)));
            assertThatThrownBy(() -> Keyring.rekey(store, REPO, a, b)).isInstanceOfSatisfying(PgwardenException.class,
                    e -> assertThat(e.getMessage()).contains(c.masterKeyId(), "nothing was changed"));
            List<String> after = new ArrayList<>();
            store.keys().forEach(k -> after.add(new String(store.bytes(new ObjectKey(k)), StandardCharsets.UTF_8)));
            assertThat(after).isEqualTo(before);
        }
    }

    @Test
    void objectWhoseKeyringEntryIsGoneIsUnknownKeyNamingTheObject() throws IOException {
        try (LocalKeyFileWrapper a = givenWrapper("a.key")) {
            Map<ObjectKey, byte[]> plain = new HashMap<>();
            givenObjects(keyring(a), plain);
            store.delete(store.keys().stream().filter(k -> k.startsWith("keyring/")).map(ObjectKey::new).toList());
            ObjectKey any = plain.keySet().iterator().next();
            assertThatThrownBy(() -> objects(keyring(a)).open(any).readAllBytes())
                    .isInstanceOfSatisfying(PgwardenException.class, e -> {
                        assertThat(e.errorCode()).isEqualTo(ErrorCode.INTEGRITY_UNKNOWN_KEY);
                        assertThat(e.getMessage()).contains("'" + any + "'");
                    });
        }
    }

    // ---- helpers ----

    /** Two objects under one data key, one under a second data key. */
    void givenObjects(Keyring ring, Map<ObjectKey, byte[]> plain) {
        SealedObjects objects = objects(ring);
        for (int i = 0; i < 3; i++) {
            if (i == 2) {
                clock.advance(Duration.ofSeconds(1));
                ring.newDataKey();
            }
            ObjectKey key = ObjectKey.of("backup", "20261124-020000F", "file" + i);
            byte[] data = new byte[10_000 * (i + 1)];
            new Random(i).nextBytes(data);
            objects.put(key, new ByteArrayInputStream(data));
            plain.put(key, data);
        }
    }

    void assertReadable(Keyring ring, Map<ObjectKey, byte[]> plain) throws IOException {
        for (Map.Entry<ObjectKey, byte[]> e : plain.entrySet()) {
            try (UnsealingInputStream in = objects(ring).open(e.getKey())) {
                assertThat(in.readAllBytes()).isEqualTo(e.getValue());
            }
        }
    }

    SealedObjects objects(Keyring ring) {
        return new SealedObjects(store, REPO, ring, Codec.zstd(1));
    }

    Keyring keyring(KeyWrapper w) {
        return new Keyring(store, REPO, w, cache(), clock);
    }

    DataKeyCache cache() {
        return new DataKeyCache(Duration.ofMinutes(15), 100, clock);
    }

    Path givenKeyFile(String name) {
        Path f = dir.resolve(name);
        LocalKeyFileWrapper.generateKeyFile(f);
        return f;
    }

    LocalKeyFileWrapper givenWrapper(String name) {
        return LocalKeyFileWrapper.open(givenKeyFile(name));
    }

    static final class MutableClock extends Clock {
        private Instant now = Instant.parse("2026-11-24T02:00:00Z");

        void advance(Duration d) {
            now = now.plus(d);
        }

        @Override
        public java.time.ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }

    static final class CountingWrapper implements KeyWrapper {
        final KeyWrapper inner;
        final AtomicInteger unwraps = new AtomicInteger();

        CountingWrapper(KeyWrapper inner) {
            this.inner = inner;
        }

        @Override
        public String masterKeyId() {
            return inner.masterKeyId();
        }

        @Override
        public DataKey generateDataKey() {
            return inner.generateDataKey();
        }

        @Override
        public byte[] unwrap(byte[] wrapped) {
            unwraps.incrementAndGet();
            return inner.unwrap(wrapped);
        }

        @Override
        public byte[] wrap(byte[] plaintext) {
            return inner.wrap(plaintext);
        }

        @Override
        public void close() {
            inner.close();
        }
    }

    static byte[] readAll(InputStream in) throws IOException {
        return in.readAllBytes();
    }
}
