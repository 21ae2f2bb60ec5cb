package org.pgwarden.testing;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import org.pgwarden.codec.Codec;
import org.pgwarden.crypto.DataKeyCache;
import org.pgwarden.crypto.LocalKeyFileWrapper;
import org.pgwarden.repo.Keyring;
import org.pgwarden.repo.SealedObjects;

/**
 * An in-memory repository of stanza {@code test} with a fresh local key file in {@code dir}, for
 * unit tests that store sealed objects; close it to close the key.
 */
public record SealedTestRepository(InMemoryObjectStore store, SealedObjects objects, LocalKeyFileWrapper wrapper)
        implements AutoCloseable {

    public static SealedTestRepository create(Path dir, Codec codec) throws Exception {
        Path key = dir.resolve("master.key");
        LocalKeyFileWrapper.generateKeyFile(key);
        LocalKeyFileWrapper wrapper = LocalKeyFileWrapper.open(key);
        InMemoryObjectStore store = new InMemoryObjectStore();
        Keyring keyring = new Keyring(store, "test", wrapper, new DataKeyCache(Duration.ofMinutes(5), 16,
                Clock.systemUTC()), Clock.systemUTC());
        return new SealedTestRepository(store, new SealedObjects(store, "test", keyring, codec), wrapper);
    }

    @Override
    public void close() {
        wrapper.close();
    }
}
