package org.pgwarden.repo;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.FilterOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.util.Objects;
import org.pgwarden.codec.Codec;
import org.pgwarden.crypto.SealResult;
import org.pgwarden.crypto.SealedObjectReader;
import org.pgwarden.crypto.SealedObjectWriter;
import org.pgwarden.crypto.SealingInputStream;
import org.pgwarden.crypto.SealingKey;
import org.pgwarden.crypto.SealingOutputStream;
import org.pgwarden.crypto.UnsealingInputStream;
import org.pgwarden.storage.ObjectKey;
import org.pgwarden.storage.ObjectStore;

/**
 * Encrypted objects of one repository: what backup, WAL archiving and restore use instead of the
 * raw store. Writes seal with the keyring's current data key (or one given per backup); reads
 * find the data key named in each object's header.
 */
public final class SealedObjects {
    private final ObjectStore store;
    private final Keyring keyring;
    private final SealedObjectWriter writer;
    private final SealedObjectReader reader;

    public SealedObjects(ObjectStore store, String repositoryId, Keyring keyring, Codec codec) {
        this.store = Objects.requireNonNull(store, "store");
        this.keyring = Objects.requireNonNull(keyring, "keyring");
        this.writer = new SealedObjectWriter(repositoryId, codec);
        this.reader = new SealedObjectReader(repositoryId, keyring);
    }

    /** The store the sealed objects live in (to list or delete them; reads and writes go through here). */
    public ObjectStore store() {
        return store;
    }

    /** Seals {@code plaintext} under the keyring's current data key and stores it at {@code key}. */
    public SealResult put(ObjectKey key, InputStream plaintext) {
        return put(key, plaintext, keyring.currentDataKey());
    }

    /**
     * Seals {@code plaintext}, whose SHA-256 the caller computed already (a WAL push names the
     * object after it), under the current data key and stores it; the bytes are not hashed again.
     */
    public SealResult put(ObjectKey key, InputStream plaintext, byte[] knownSha256) {
        try (SealingInputStream sealed = writer.seal(plaintext, key, keyring.currentDataKey(), knownSha256)) {
            store.put(key, sealed);
            return sealed.result();
        } catch (IOException e) {
            throw new UncheckedIOException("unable to close the plaintext of '" + key + "'", e);
        }
    }

    /** The codec objects are written with (to compress content in memory for {@link #putCompressed}). */
    public Codec codec() {
        return writer.codec();
    }

    /**
     * Stores {@code compressed[0, length)}, the {@link #codec()}'s output for {@code plaintextLength}
     * bytes whose SHA-256 is {@code sha256}, sealed under the current data key: for content already
     * in memory (a WAL segment), compressed in one call rather than streamed.
     */
    public SealResult putCompressed(ObjectKey key, byte[] compressed, int length, long plaintextLength,
            byte[] sha256) {
        try (SealingInputStream sealed = writer.sealCompressed(new ByteArrayInputStream(compressed, 0, length), key,
                keyring.currentDataKey(), plaintextLength, sha256)) {
            store.put(key, sealed);
            return sealed.result();
        } catch (IOException e) {
            throw new UncheckedIOException("unable to close the content of '" + key + "'", e);
        }
    }

    /** Seals {@code plaintext} under {@code dataKey} (e.g. the backup's own key) and stores it. */
    public SealResult put(ObjectKey key, InputStream plaintext, SealingKey dataKey) {
        try (SealingInputStream sealed = writer.seal(plaintext, key, dataKey)) {
            store.put(key, sealed);
            return sealed.result();
        } catch (IOException e) {
            throw new UncheckedIOException("unable to close the plaintext of '" + key + "'", e);
        }
    }

    /**
     * Like {@link #put(ObjectKey, InputStream)}, but only if no object exists at {@code key}
     * ({@code REPO_OBJECT_EXISTS} otherwise); atomic where the store supports conditional create.
     */
    public SealResult create(ObjectKey key, InputStream plaintext) {
        try (SealingInputStream sealed = writer.seal(plaintext, key, keyring.currentDataKey())) {
            store.create(key, sealed);
            return sealed.result();
        } catch (IOException e) {
            throw new UncheckedIOException("unable to close the plaintext of '" + key + "'", e);
        }
    }

    /** Writes an object's plaintext piece by piece, e.g. rows as the database produces them. */
    @FunctionalInterface
    public interface PlaintextWriter {
        void writeTo(OutputStream out) throws Exception;
    }

    /**
     * As {@link #create(ObjectKey, InputStream)}, with the plaintext pushed by {@code producer}
     * instead of pulled; memory stays bounded (a few buffers). When the producer fails, nothing is
     * stored and its failure is thrown; when the store fails first, the store's failure is thrown
     * (the producer then sees its writes fail).
     */
    public SealResult create(ObjectKey key, PlaintextWriter producer) {
        StreamingPut<SealResult> put = new StreamingPut<>(key, in -> create(key, in));
        try {
            producer.writeTo(put);
        } catch (Exception e) {
            // Set only when the put stopped by itself, before this abort: then the store failed first.
            RuntimeException storeFailedFirst = put.failure();
            put.abort();
            if (storeFailedFirst != null) {
                storeFailedFirst.addSuppressed(e);
                throw storeFailedFirst;
            }
            if (e instanceof RuntimeException r) {
                throw r;
            }
            throw new org.pgwarden.common.PgwardenException(org.pgwarden.common.ErrorCode.REPO_SOURCE_FAILED,
                    "writing '" + key + "' failed: " + e.getMessage(), e);
        }
        return put.finish();
    }

    /**
     * Starts a chunk of bundle {@code bundle} at byte {@code chunkOffset}: plaintext written to the
     * returned stream is sealed under the chunk's identity ({@link RepositoryLayout#chunkIdentity})
     * into {@code sink}. Closing the returned stream ends the chunk but leaves {@code sink} open, so
     * the next chunk can follow; its {@code result().storedBytes()} is the chunk's length.
     */
    public SealingOutputStream sealChunk(OutputStream sink, ObjectKey bundle, long chunkOffset, SealingKey dataKey) {
        OutputStream keepOpen = new FilterOutputStream(sink) {
            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                out.write(b, off, len);
            }

            @Override
            public void close() throws IOException {
                out.flush();
            }
        };
        return writer.open(keepOpen, RepositoryLayout.chunkIdentity(bundle, chunkOffset), dataKey);
    }

    /**
     * The authenticated plaintext of the chunk {@code ref} names, read with one ranged GET; the
     * caller skips {@code ref.sliceOffset()} bytes to reach its slice and closes the stream.
     */
    public UnsealingInputStream openChunk(ChunkRef ref) {
        InputStream raw = store.get(ref.object(), ref.chunkOffset(), ref.chunkLength());
        try {
            return reader.open(raw, ref.identity());
        } catch (RuntimeException e) {
            try {
                raw.close();
            } catch (IOException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
    }

    /** The authenticated plaintext of {@code key}; the caller closes it. */
    public UnsealingInputStream open(ObjectKey key) {
        InputStream raw = store.get(key);
        try {
            return reader.open(raw, key);
        } catch (RuntimeException e) {
            try {
                raw.close();
            } catch (IOException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
    }
}
