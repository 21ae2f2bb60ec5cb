package org.pgwarden.restore;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.pgwarden.codec.Codec;
import org.pgwarden.crypto.DataKeyCache;
import org.pgwarden.crypto.LocalKeyFileWrapper;
import org.pgwarden.crypto.SealingKey;
import org.pgwarden.crypto.SealingOutputStream;
import org.pgwarden.repo.BackupLabel;
import org.pgwarden.repo.ChunkRef;
import org.pgwarden.repo.Keyring;
import org.pgwarden.repo.RepositoryLayout;
import org.pgwarden.repo.SealedObjects;
import org.pgwarden.storage.ObjectKey;
import org.pgwarden.testing.InMemoryObjectStore;

/** An in-memory sealed repository holding one bundle of chunks, as a backup would write it. */
final class SealedChunks implements AutoCloseable {
    static final BackupLabel LABEL = BackupLabel.parse("20261124-020000F");
    static final ObjectKey BUNDLE = RepositoryLayout.bundle(LABEL, 1);

    final InMemoryObjectStore store = new InMemoryObjectStore();
    final SealedObjects objects;
    private final LocalKeyFileWrapper wrapper;
    private final Keyring keyring;

    private SealedChunks(Path keyDir) {
        Path key = keyDir.resolve("master.key");
        LocalKeyFileWrapper.generateKeyFile(key);
        wrapper = LocalKeyFileWrapper.open(key);
        keyring = new Keyring(store, "test", wrapper, new DataKeyCache(Duration.ofMinutes(5), 16, Clock.systemUTC()),
                Clock.systemUTC());
        objects = new SealedObjects(store, "test", keyring, Codec.zstd(1));
    }

    static SealedChunks createRepository(Path keyDir) {
        return new SealedChunks(keyDir);
    }

    /** Seals each plaintext as one chunk of {@link #BUNDLE}, back to back, stores the bundle; a ref per chunk. */
    List<ChunkRef> givenBundle(List<byte[]> plaintexts) throws IOException {
        ByteArrayOutputStream bundle = new ByteArrayOutputStream();
        SealingKey key = keyring.currentDataKey();
        List<ChunkRef> refs = new ArrayList<>();
        for (byte[] p : plaintexts) {
            long offset = bundle.size();
            try (SealingOutputStream chunk = objects.sealChunk(bundle, BUNDLE, offset, key)) {
                chunk.write(p);
            }
            refs.add(new ChunkRef(LABEL, BUNDLE, offset, bundle.size() - offset, 0));
        }
        store.put(BUNDLE, new ByteArrayInputStream(bundle.toByteArray()));
        return refs;
    }

    @Override
    public void close() {
        wrapper.close();
    }
}
