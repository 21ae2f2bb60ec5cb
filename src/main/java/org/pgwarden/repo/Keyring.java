package org.pgwarden.repo;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.stream.Stream;
import org.pgwarden.common.ErrorCode;
import org.pgwarden.common.PgwardenException;
import org.pgwarden.crypto.DataKey;
import org.pgwarden.crypto.DataKeyCache;
import org.pgwarden.crypto.DataKeySource;
import org.pgwarden.crypto.KeyWrapper;
import org.pgwarden.crypto.SealingKey;
import org.pgwarden.storage.ObjectInfo;
import org.pgwarden.storage.ObjectKey;
import org.pgwarden.storage.ObjectStore;

/**
 * The repository's data keys, stored wrapped under {@code keyring/} so that a fresh host with the
 * repository and access to the master key can read everything (the repository is the source of
 * truth). Objects name their data key by id; this class turns an id into the clear key through
 * the master key and a bounded, expiring cache.
 */
public final class Keyring implements DataKeySource {
    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(SerializationFeature.INDENT_OUTPUT);
    private static final DateTimeFormatter ID_TIME = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'")
            .withZone(ZoneOffset.UTC);

    private final ObjectStore store;
    private final String repositoryId;
    private final KeyWrapper wrapper;
    private final DataKeyCache cache;
    private final Clock clock;
    private final SecureRandom random = new SecureRandom();
    private volatile String currentKeyId;

    public Keyring(ObjectStore store, String repositoryId, KeyWrapper wrapper, DataKeyCache cache, Clock clock) {
        this.store = Objects.requireNonNull(store, "store");
        this.repositoryId = Objects.requireNonNull(repositoryId, "repositoryId");
        this.wrapper = Objects.requireNonNull(wrapper, "wrapper");
        this.cache = Objects.requireNonNull(cache, "cache");
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    /**
     * The key new objects are sealed with: the newest data key wrapped by the configured master
     * key, or a new one on first use.
     */
    public synchronized SealingKey currentDataKey() {
        String id = currentKeyId;
        if (id == null) {
            id = entries().stream()
                    .filter(e -> e.masterKeyId().equals(wrapper.masterKeyId()))
                    .map(KeyringEntry::keyId)
                    .max(String::compareTo)
                    .orElse(null);
            if (id == null) {
                return newDataKey();
            }
            currentKeyId = id;
        }
        return resolve(id);
    }

    /** A fresh data key from the master key, stored wrapped; it becomes the current key. */
    public synchronized SealingKey newDataKey() {
        DataKey dk = wrapper.generateDataKey();
        try {
            String keyId = "dk-" + ID_TIME.format(clock.instant().truncatedTo(ChronoUnit.SECONDS)) + "-"
                    + HexFormat.of().formatHex(randomBytes(4));
            KeyringEntry entry = KeyringEntry.of(keyId, repositoryId, dk.masterKeyId(), dk.wrapped(),
                    clock.instant().truncatedTo(ChronoUnit.SECONDS).toString());
            store.create(KeyringEntry.objectKey(keyId), new ByteArrayInputStream(serialize(entry)));
            currentKeyId = keyId;
            return new SealingKey(keyId, dk.plaintext());
        } finally {
            dk.destroy();
        }
    }

    /** The clear data key {@code keyId}; cached for the configured TTL. */
    @Override
    public SealingKey resolve(String keyId) {
        if (!KeyringEntry.validKeyId(keyId)) {
            throw unknown(keyId);
        }
        return cache.get(keyId, this::load);
    }

    private SealingKey load(String keyId) {
        KeyringEntry entry = read(keyId);
        if (!entry.masterKeyId().equals(wrapper.masterKeyId())) {
            throw new PgwardenException(ErrorCode.INTEGRITY_WRONG_KEY, "data key '" + keyId + "' is wrapped by master key '"
                    + entry.masterKeyId() + "', but the configured master key is '" + wrapper.masterKeyId() + "'",
                    "configure master key '" + entry.masterKeyId() + "', or finish 'pgwarden rekey --to "
                            + wrapper.masterKeyId() + "'", null);
        }
        byte[] clear = wrapper.unwrap(entry.wrapped());
        try {
            return new SealingKey(keyId, clear);
        } finally {
            Arrays.fill(clear, (byte) 0);
        }
    }

    /** Every entry of the keyring, in key id (creation) order. */
    public List<KeyringEntry> entries() {
        List<KeyringEntry> out = new ArrayList<>();
        try (Stream<ObjectInfo> s = store.list(KeyringEntry.PREFIX)) {
            s.map(ObjectInfo::key)
                    .map(ObjectKey::name)
                    .filter(n -> n.endsWith(".json"))
                    .map(n -> n.substring(0, n.length() - ".json".length()))
                    .filter(KeyringEntry::validKeyId)
                    .forEach(id -> out.add(read(id)));
        }
        return out;
    }

    /**
     * Re-wraps every data key wrapped by {@code from} under {@code to}; data objects are not
     * touched (they name data keys, not master keys). Each entry is replaced by one atomic put,
     * and only after {@code to} was checked to open the new wrapping, so an interrupted rekey
     * leaves every entry usable with one of the two master keys and can simply be run again:
     * entries already under {@code to} are skipped. Afterwards {@code from} is no longer needed.
     */
    public static RekeyResult rekey(ObjectStore store, String repositoryId, KeyWrapper from, KeyWrapper to) {
        Keyring ring = new Keyring(store, repositoryId, from, new DataKeyCache(Duration.ZERO, 1, Clock.systemUTC()),
                Clock.systemUTC());
        List<KeyringEntry> entries = ring.entries();
        for (KeyringEntry e : entries) {
            if (!e.masterKeyId().equals(from.masterKeyId()) && !e.masterKeyId().equals(to.masterKeyId())) {
                throw new PgwardenException(ErrorCode.INTEGRITY_WRONG_KEY, "data key '" + e.keyId()
                        + "' is wrapped by master key '" + e.masterKeyId() + "', neither '" + from.masterKeyId()
                        + "' nor '" + to.masterKeyId() + "'; nothing was changed",
                        "run rekey with --from set to master key '" + e.masterKeyId() + "' first", null);
            }
        }
        int moved = 0;
        int skipped = 0;
        for (KeyringEntry e : entries) {
            if (e.masterKeyId().equals(to.masterKeyId())) {
                skipped++;
                continue;
            }
            byte[] newWrapped = from.rewrap(e.wrapped(), to);
            requireSameKey(e, from, to, newWrapped);
            store.put(KeyringEntry.objectKey(e.keyId()),
                    new ByteArrayInputStream(serialize(e.rewrapped(to.masterKeyId(), newWrapped))));
            moved++;
        }
        return new RekeyResult(from.masterKeyId(), to.masterKeyId(), moved, skipped);
    }

    private static void requireSameKey(KeyringEntry e, KeyWrapper from, KeyWrapper to, byte[] newWrapped) {
        byte[] before = from.unwrap(e.wrapped());
        byte[] after = to.unwrap(newWrapped);
        try {
            if (!MessageDigest.isEqual(before, after)) {
                throw new PgwardenException(ErrorCode.INTEGRITY_WRONG_KEY, "re-wrapping data key '" + e.keyId()
                        + "' under master key '" + to.masterKeyId() + "' gave a different key; entry left unchanged");
            }
        } finally {
            Arrays.fill(before, (byte) 0);
            Arrays.fill(after, (byte) 0);
        }
    }

    /** What a rekey did: entries re-wrapped and entries already under the target master key. */
    public record RekeyResult(String fromMasterKeyId, String toMasterKeyId, int rewrapped, int alreadyDone) {
    }

    private KeyringEntry read(String keyId) {
        ObjectKey key = KeyringEntry.objectKey(keyId);
        KeyringEntry entry;
        try (InputStream in = store.get(key)) {
            entry = JSON.readValue(in, KeyringEntry.class);
        } catch (PgwardenException e) {
            if (e.errorCode() == ErrorCode.REPO_OBJECT_MISSING) {
                throw unknown(keyId);
            }
            throw e;
        } catch (JsonProcessingException e) {
            throw new PgwardenException(ErrorCode.INTEGRITY_HEADER, "keyring entry '" + key + "' is corrupt: "
                    + e.getOriginalMessage(), e);
        } catch (IOException e) {
            throw new PgwardenException(ErrorCode.REPO_IO, "unable to read keyring entry '" + key + "'", e);
        }
        if (entry.format() != KeyringEntry.FORMAT || !keyId.equals(entry.keyId()) || entry.masterKeyId() == null
                || entry.wrappedKeyBase64() == null) {
            throw new PgwardenException(ErrorCode.INTEGRITY_HEADER, "keyring entry '" + key
                    + "' is corrupt: expected format " + KeyringEntry.FORMAT + " for key id '" + keyId + "'");
        }
        if (!repositoryId.equals(entry.repositoryId())) {
            throw new PgwardenException(ErrorCode.INTEGRITY_WRONG_STANZA, "keyring entry '" + key
                    + "' belongs to repository '" + entry.repositoryId() + "', not to '" + repositoryId + "'");
        }
        return entry;
    }

    private PgwardenException unknown(String keyId) {
        return new PgwardenException(ErrorCode.INTEGRITY_UNKNOWN_KEY, "data key '" + keyId
                + "' is not in the keyring of repository '" + repositoryId + "' (" + store.describe() + ")",
                "the keyring entry was deleted or this is another repository; without it the objects that "
                        + "name this key cannot be decrypted", null);
    }

    private static byte[] serialize(KeyringEntry e) {
        try {
            return JSON.writeValueAsBytes(e);
        } catch (IOException ex) {
            throw new IllegalStateException("unable to serialize keyring entry '" + e.keyId() + "'", ex);
        }
    }

    private byte[] randomBytes(int n) {
        byte[] b = new byte[n];
        random.nextBytes(b);
        return b;
    }
}
