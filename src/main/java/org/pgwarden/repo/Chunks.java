package org.pgwarden.repo;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import org.pgwarden.codec.Codec;
import org.pgwarden.crypto.SealResult;
import org.pgwarden.crypto.SealedObjectReader;
import org.pgwarden.crypto.SealedObjectWriter;
import org.pgwarden.crypto.SealingKey;
import org.pgwarden.crypto.SealingOutputStream;
import org.pgwarden.crypto.UnsealingInputStream;
import org.pgwarden.storage.ObjectKey;

/**
 * Chunks: small sealed objects packed back to back inside a bundle object, each readable alone
 * with a ranged read. A chunk is sealed under an identity naming its bundle and offset (see
 * {@code RepositoryLayout.chunkIdentity}), so a chunk copied to another place fails to open.
 */
public final class Chunks {
    private final SealedObjectWriter writer;
    private final SealedObjectReader reader;

    public Chunks(String repositoryId, Keyring keyring, Codec codec) {
        this.writer = new SealedObjectWriter(repositoryId, codec);
        this.reader = new SealedObjectReader(repositoryId, keyring);
    }

    /** A sealed chunk and what it holds. */
    public record Sealed(byte[] bytes, SealResult result) {
    }

    /** Seals {@code length} bytes of {@code plaintext} as the chunk {@code identity}. */
    public Sealed seal(byte[] plaintext, int length, ObjectKey identity, SealingKey key) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(length / 2 + 512);
        try (SealingOutputStream sealing = writer.open(out, identity, key)) {
            sealing.write(plaintext, 0, length);
            sealing.close();
            return new Sealed(out.toByteArray(), sealing.result());
        } catch (IOException e) {
            throw new UncheckedIOException("unable to seal chunk '" + identity + "'", e);
        }
    }

    /** The plaintext of the sealed chunk read from {@code sealed}; the caller closes it. */
    public UnsealingInputStream open(InputStream sealed, ObjectKey identity) {
        return reader.open(sealed, identity);
    }
}
