package org.pgwarden.restore;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.pgwarden.repo.ChunkRef;
import org.pgwarden.repo.SealedObjects;
import org.pgwarden.storage.ObjectKey;

/**
 * The few chunks one worker read last, in clear. Small files share chunks and consecutive slices
 * of a file usually sit in one chunk, so a tiny cache saves most repeated ranged reads; it is
 * bounded by count, and chunks are at most the backup's chunk size. The buffer of an evicted
 * chunk receives the next one, so a restore allocates a handful of chunk-sized buffers per worker
 * instead of one per chunk, and a chunk is read in large pieces rather than re-copied as it grows.
 */
final class ChunkCache {
    private static final int ENTRIES = 4;
    /** First buffer size when no evicted one is at hand; the default chunk size, grown as needed. */
    private static final int INITIAL_BUFFER = 1 << 20;

    /** The authenticated plaintext of one chunk: {@code bytes[0, length)}. */
    record Chunk(byte[] bytes, int length) {
    }

    private record Id(ObjectKey object, long offset) {
    }

    private final SealedObjects objects;
    private byte[] spare;
    private final Map<Id, Chunk> recent = new LinkedHashMap<>(8, 0.75f, true) {
        private static final long serialVersionUID = 1L;

        @Override
        protected boolean removeEldestEntry(Map.Entry<Id, Chunk> eldest) {
            if (size() > ENTRIES) {
                // Only called from put, after the chunk that replaces it was read: nobody reads it any more.
                spare = eldest.getValue().bytes();
                return true;
            }
            return false;
        }
    };
    private long fetchedBytes;

    ChunkCache(SealedObjects objects) {
        this.objects = objects;
    }

    /**
     * The whole plaintext of the chunk {@code ref} points into, authenticated. Valid until the
     * {@value #ENTRIES}th different chunk after it is asked for (its buffer is then reused).
     */
    Chunk plaintext(ChunkRef ref) {
        Id id = new Id(ref.object(), ref.chunkOffset());
        Chunk cached = recent.get(id);
        if (cached != null) {
            return cached;
        }
        byte[] buffer = spare != null ? spare : new byte[INITIAL_BUFFER];
        spare = null;
        try (InputStream in = objects.openChunk(ref)) {
            int length = 0;
            // Reading to the end (-1) is what authenticates the last segment.
            while (true) {
                if (length == buffer.length) {
                    // Full: grow only if the chunk really goes on (a chunk of exactly the buffer's size is common).
                    int next = in.read();
                    if (next < 0) {
                        break;
                    }
                    buffer = Arrays.copyOf(buffer, buffer.length * 2);
                    buffer[length++] = (byte) next;
                }
                int n = in.read(buffer, length, buffer.length - length);
                if (n < 0) {
                    break;
                }
                length += n;
            }
            fetchedBytes += ref.chunkLength();
            Chunk chunk = new Chunk(buffer, length);
            recent.put(id, chunk);
            return chunk;
        } catch (IOException e) {
            throw new UncheckedIOException("unable to read chunk at " + ref.chunkOffset() + " of '" + ref.object() + "'", e);
        }
    }

    long fetchedBytes() {
        return fetchedBytes;
    }
}
