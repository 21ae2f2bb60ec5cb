package org.pgwarden.crypto;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Function;

/**
 * Unwrapped data keys kept in memory for a bounded time and number, so reading a backup does not
 * call the key service once per file, while a revoked master key stops working within the TTL.
 * Callers get their own copy of a key; evicted and expired keys are wiped. A zero TTL disables
 * caching.
 */
public final class DataKeyCache {
    private final Duration ttl;
    private final int maxEntries;
    private final Clock clock;
    private final LinkedHashMap<String, Entry> entries = new LinkedHashMap<>(16, 0.75f, true);

    private record Entry(SealingKey key, Instant expires) {
    }

    public DataKeyCache(Duration ttl, int maxEntries, Clock clock) {
        if (ttl.isNegative() || maxEntries < 1) {
            throw new IllegalArgumentException("need ttl >= 0 and maxEntries >= 1");
        }
        this.ttl = ttl;
        this.maxEntries = maxEntries;
        this.clock = clock;
    }

    /** The key for {@code keyId}, from the cache or from {@code loader} (whose result is cached). */
    public SealingKey get(String keyId, Function<String, SealingKey> loader) {
        Instant now = clock.instant();
        synchronized (this) {
            Entry e = entries.get(keyId);
            if (e != null && now.isBefore(e.expires)) {
                return copy(e.key);
            }
            if (e != null) {
                entries.remove(keyId).key.destroy();
            }
        }
        // Loading may call the key service: never hold the lock while waiting for it.
        SealingKey loaded = loader.apply(keyId);
        if (ttl.isZero()) {
            return loaded;
        }
        synchronized (this) {
            Entry old = entries.put(keyId, new Entry(copy(loaded), now.plus(ttl)));
            if (old != null) {
                old.key.destroy();
            }
            evict(now);
        }
        return loaded;
    }

    private void evict(Instant now) {
        Iterator<Map.Entry<String, Entry>> it = entries.entrySet().iterator();
        while (it.hasNext()) {
            Entry e = it.next().getValue();
            if (entries.size() > maxEntries || !now.isBefore(e.expires)) {
                e.key.destroy();
                it.remove();
            }
        }
    }

    public synchronized int size() {
        return entries.size();
    }

    /** Wipes and forgets every key (after a rekey, at shutdown). */
    public synchronized void clear() {
        entries.values().forEach(e -> e.key.destroy());
        entries.clear();
    }

    private static SealingKey copy(SealingKey k) {
        byte[] secret = k.copySecret();
        try {
            return new SealingKey(k.keyId(), secret);
        } finally {
            java.util.Arrays.fill(secret, (byte) 0);
        }
    }
}
