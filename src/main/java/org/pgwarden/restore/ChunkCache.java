package org.pgwarden.restore;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.Map;
import org.pgwarden.repo.ChunkRef;
import org.pgwarden.repo.SealedObjects;
import org.pgwarden.storage.ObjectKey;

/**
 * The few chunks one worker read last, in clear. Small files share chunks and consecutive slices
 * of a file usually sit in one chunk, so a tiny cache saves most repeated ranged reads; it is
 * bounded by count, and chunks are at most the backup's chunk size.
 */
final class ChunkCache {
    private static final int ENTRIES = 4;

    private record Id(ObjectKey object, long offset) {
    }

    private final SealedObjects objects;
    private final Map<Id, byte[]> recent = new LinkedHashMap<>(8, 0.75f, true) {
        private static final long serialVersionUID = 1L;

        @Override
        protected boolean removeEldestEntry(Map.Entry<Id, byte[]> eldest) {
            return size() > ENTRIES;
        }
    };
    private long fetchedBytes;

    ChunkCache(SealedObjects objects) {
        this.objects = objects;
    }

    /** The whole plaintext of the chunk {@code ref} points into, authenticated. */
    byte[] plaintext(ChunkRef ref) {
        Id id = new Id(ref.object(), ref.chunkOffset());
        byte[] cached = recent.get(id);
        if (cached != null) {
            return cached;
        }
        try (InputStream in = objects.openChunk(ref)) {
            // Reading to the end is what authenticates the last segment.
            byte[] clear = in.readAllBytes();
            fetchedBytes += ref.chunkLength();
            recent.put(id, clear);
            return clear;
        } catch (IOException e) {
            throw new UncheckedIOException("unable to read chunk at " + ref.chunkOffset() + " of '" + ref.object() + "'", e);
        }
    }

    long fetchedBytes() {
        return fetchedBytes;
    }
}
