package org.pgwarden.app;

import java.time.Clock;
import org.pgwarden.codec.Codec;
import org.pgwarden.config.CompressionConfig;
import org.pgwarden.config.PgwardenConfig;
import org.pgwarden.crypto.DataKeyCache;
import org.pgwarden.crypto.KeyWrapper;
import org.pgwarden.repo.Keyring;
import org.pgwarden.repo.SealedObjects;
import org.pgwarden.storage.ObjectStore;

/**
 * The repository as features use it: the store, the keyring under the configured master key, and
 * sealed (compressed, encrypted, authenticated) objects. The stanza name is the
 * repository's identity bound into every object.
 */
record RepositoryAccess(ObjectStore store, Keyring keyring, SealedObjects objects) {
    /** Unwrapped data keys kept at once; a repository uses one per backup and a few for WAL. */
    private static final int KEY_CACHE_ENTRIES = 1024;

    static RepositoryAccess open(PgwardenConfig config, Components components, Clock clock) {
        return open(config, components.repository(), components.key(), clock);
    }

    /** For commands that need the repository but not PostgreSQL. */
    static RepositoryAccess open(PgwardenConfig config, ObjectStore store, KeyWrapper key, Clock clock) {
        Codec codec = config.compression().algorithm() == CompressionConfig.Algorithm.NONE ? Codec.none()
                : Codec.zstd(config.compression().level());
        Keyring keyring = new Keyring(store, config.stanza(), key,
                new DataKeyCache(config.encryption().keyCacheTtl(), KEY_CACHE_ENTRIES, clock), clock);
        return new RepositoryAccess(store, keyring,
                new SealedObjects(store, config.stanza(), keyring, codec));
    }
}
