package org.pgwarden.repo;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.pgwarden.codec.Codec;
import org.pgwarden.crypto.DataKeyCache;
import org.pgwarden.crypto.LocalKeyFileWrapper;
import org.pgwarden.storage.ObjectStore;

/** A sealed repository over a given store with a fresh local master key, and manifest builders. */
final class RepoFixture implements AutoCloseable {
    static final String REPO = "main";
    static final Clock CLOCK = Clock.fixed(Instant.parse("2026-11-24T02:00:00Z"), ZoneOffset.UTC);
    static final String SHA_A = "a".repeat(64);
    static final String SHA_B = "b".repeat(64);

    final ObjectStore store;
    final LocalKeyFileWrapper wrapper;
    final Keyring keyring;
    final SealedObjects objects;

    private RepoFixture(ObjectStore store, LocalKeyFileWrapper wrapper) {
        this.store = store;
        this.wrapper = wrapper;
        this.keyring = new Keyring(store, REPO, wrapper, new DataKeyCache(Duration.ofMinutes(15), 100, CLOCK), CLOCK);
        this.objects = new SealedObjects(store, REPO, keyring, Codec.zstd(1));
    }

    static RepoFixture createRepo(ObjectStore store, Path keyDir) {
        Path key = keyDir.resolve("master.key");
        LocalKeyFileWrapper.generateKeyFile(key);
        return new RepoFixture(store, LocalKeyFileWrapper.open(key));
    }

    static ManifestHeader givenFullHeader(BackupLabel label) {
        return new ManifestHeader(label, BackupType.FULL, Optional.empty(), label.time(), label.time().plusSeconds(60),
                "0/2000028", "0/2000138", 1, 15, 7300000000000000001L, 16 * 1024 * 1024, 131072,
                "START WAL LOCATION: 0/2000028 (file 000000010000000000000002)\n", null, true,
                Map.of("purpose", "test"));
    }

    static ManifestHeader givenIncrementalHeader(BackupLabel label, BackupLabel parent) {
        return new ManifestHeader(label, label.type(), Optional.of(parent), label.time(), label.time().plusSeconds(5),
                "0/5000028", "0/5000100", 1, 15, 7300000000000000001L, 16 * 1024 * 1024, 131072,
                "START WAL LOCATION: 0/5000028 (file 000000010000000000000005)\n", "16384 /srv/ts1\n", true, Map.of());
    }

    /** A file of {@code size} bytes in slices of at most {@code sliceBytes}, stored in bundle 1 of {@code owner}. */
    static ManifestEntry givenFile(String path, long size, long sliceBytes, BackupLabel owner) {
        List<Slice> slices = new ArrayList<>();
        for (long off = 0; off < size; off += sliceBytes) {
            long len = Math.min(sliceBytes, size - off);
            slices.add(new Slice(off, len, SHA_B,
                    new ChunkRef(owner, RepositoryLayout.bundle(owner, 1), off * 2, len + 200, 0)));
        }
        return ManifestEntry.file(path, size, 1_700_000_000_000L, 0600, SHA_A, slices, List.of());
    }

    @Override
    public void close() {
        wrapper.close();
    }
}
