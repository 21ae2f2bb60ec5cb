package org.pgwarden.testing;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.pgwarden.common.ErrorCode;
import org.pgwarden.common.PgwardenException;
import org.pgwarden.storage.Capabilities;
import org.pgwarden.storage.ObjectInfo;
import org.pgwarden.storage.ObjectKey;
import org.pgwarden.storage.ObjectStore;

/**
 * An {@link ObjectStore} in memory for unit tests, with the port's semantics (objects appear only
 * when completely written, conditional create is atomic) and helpers to damage objects.
 */
public final class InMemoryObjectStore implements ObjectStore {
    private final TreeMap<String, Stored> objects = new TreeMap<>();

    private record Stored(byte[] bytes, Instant lastModified) {
    }

    @Override
    public String describe() {
        return "memory://test";
    }

    @Override
    public Capabilities capabilities() {
        return new Capabilities(true, false, true);
    }

    @Override
    public ObjectInfo put(ObjectKey key, InputStream data) {
        byte[] bytes = readAll(key, data);
        synchronized (this) {
            objects.put(key.value(), new Stored(bytes, Instant.now()));
        }
        return info(key, bytes, Instant.now());
    }

    @Override
    public ObjectInfo create(ObjectKey key, InputStream data) {
        byte[] bytes = readAll(key, data);
        synchronized (this) {
            if (objects.containsKey(key.value())) {
                throw new PgwardenException(ErrorCode.REPO_OBJECT_EXISTS, "object '" + key + "' already exists");
            }
            objects.put(key.value(), new Stored(bytes, Instant.now()));
        }
        return info(key, bytes, Instant.now());
    }

    @Override
    public InputStream get(ObjectKey key) {
        return new ByteArrayInputStream(bytes(key));
    }

    @Override
    public InputStream get(ObjectKey key, long offset, long length) {
        byte[] b = bytes(key);
        int from = (int) Math.min(offset, b.length);
        int to = (int) Math.min(b.length, offset + length);
        return new ByteArrayInputStream(b, from, to - from);
    }

    @Override
    public synchronized Optional<ObjectInfo> stat(ObjectKey key) {
        Stored s = objects.get(key.value());
        return s == null ? Optional.empty() : Optional.of(info(key, s.bytes, s.lastModified));
    }

    @Override
    public synchronized Stream<ObjectInfo> list(String prefix) {
        List<ObjectInfo> out = new ArrayList<>();
        for (Map.Entry<String, Stored> e : objects.tailMap(prefix, true).entrySet()) {
            if (!e.getKey().startsWith(prefix)) {
                break;
            }
            out.add(info(new ObjectKey(e.getKey()), e.getValue().bytes, e.getValue().lastModified));
        }
        return out.stream();
    }

    @Override
    public synchronized void delete(Collection<ObjectKey> keys) {
        keys.forEach(k -> objects.remove(k.value()));
    }

    @Override
    public void close() {
    }

    // ---- test helpers ----

    /** The stored bytes of {@code key}; {@code REPO_OBJECT_MISSING} when absent. */
    public synchronized byte[] bytes(ObjectKey key) {
        Stored s = objects.get(key.value());
        if (s == null) {
            throw new PgwardenException(ErrorCode.REPO_OBJECT_MISSING, "object '" + key + "' does not exist");
        }
        return s.bytes.clone();
    }

    /** Replaces the bytes of {@code key} behind the port's back (to simulate damage or tampering). */
    public synchronized void replace(ObjectKey key, byte[] bytes) {
        objects.put(key.value(), new Stored(bytes.clone(), Instant.now()));
    }

    public synchronized List<String> keys() {
        return new ArrayList<>(objects.keySet());
    }

    private static byte[] readAll(ObjectKey key, InputStream data) {
        try (data) {
            return data.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException("unable to read data for '" + key + "'", e);
        }
    }

    private static ObjectInfo info(ObjectKey key, byte[] bytes, Instant at) {
        try {
            String sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
            return new ObjectInfo(key, bytes.length, at, Optional.of(sha));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
