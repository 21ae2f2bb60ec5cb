package org.pgwarden.crypto;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.util.Objects;
import org.pgwarden.codec.Codec;
import org.pgwarden.storage.ObjectKey;

/**
 * Writes sealed objects of one repository with one codec. Every object is encrypted: there is no
 * plain mode. The object key and the repository id are bound as associated data, so an object
 * only opens under the key and in the repository it was written for.
 */
public final class SealedObjectWriter {
    private final String repositoryId;
    private final Codec codec;

    public SealedObjectWriter(String repositoryId, Codec codec) {
        ObjectHeader.requireId("repository id", repositoryId);
        this.repositoryId = repositoryId;
        this.codec = Objects.requireNonNull(codec, "codec");
    }

    public Codec codec() {
        return codec;
    }

    /** Push form: write plaintext to the returned stream, close it, then read its result. */
    public SealingOutputStream open(OutputStream sink, ObjectKey objectKey, SealingKey key) {
        try {
            return new SealingOutputStream(sink, objectKey, repositoryId, key, codec);
        } catch (IOException e) {
            throw new UncheckedIOException("unable to start object '" + objectKey + "'", e);
        }
    }

    /** Pull form for {@code ObjectStore.put(key, seal(...))}: read it to the end, then its result. */
    public SealingInputStream seal(InputStream plaintext, ObjectKey objectKey, SealingKey key) {
        return seal(plaintext, objectKey, key, null);
    }

    /**
     * As {@link #seal(InputStream, ObjectKey, SealingKey)} for plaintext whose SHA-256 the caller
     * already computed ({@code null}: hash it here); the result reports that digest.
     */
    public SealingInputStream seal(InputStream plaintext, ObjectKey objectKey, SealingKey key, byte[] knownSha256) {
        try {
            return new SealingInputStream(plaintext, objectKey, repositoryId, key, codec, knownSha256, -1);
        } catch (IOException e) {
            throw new UncheckedIOException("unable to start object '" + objectKey + "'", e);
        }
    }

    /**
     * As {@link #seal(InputStream, ObjectKey, SealingKey, byte[])} for content this writer's codec
     * already compressed in memory ({@link Codec#compress(byte[], int, byte[])}): {@code compressed}
     * is encrypted as it is; the result reports {@code plaintextLength} and {@code sha256}.
     */
    public SealingInputStream sealCompressed(InputStream compressed, ObjectKey objectKey, SealingKey key,
            long plaintextLength, byte[] sha256) {
        try {
            return new SealingInputStream(compressed, objectKey, repositoryId, key, codec, sha256, plaintextLength);
        } catch (IOException e) {
            throw new UncheckedIOException("unable to start object '" + objectKey + "'", e);
        }
    }
}
