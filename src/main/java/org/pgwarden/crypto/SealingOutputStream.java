package org.pgwarden.crypto;

import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import org.pgwarden.codec.Codec;
import org.pgwarden.storage.ObjectKey;

/**
 * Seals what is written to it: plaintext → SHA-256 → compress → encrypt → {@code sink}, with the
 * header in front and the trailer behind. Memory is bounded by one AEAD segment plus the codec's
 * window. {@link #close()} finishes the object and closes the sink; {@link #result()} is
 * available afterwards.
 */
public final class SealingOutputStream extends OutputStream {
    /** {@code null} when the caller already knows the plaintext's SHA-256 ({@link #known}). */
    private final MessageDigest digest;
    private final byte[] known;
    private final CountingOutputStream counted;
    private final OutputStream sink;
    private final OutputStream chain;
    /** Plaintext size when what is written is already compressed; -1 when this stream compresses. */
    private final long precompressedLength;
    private long plaintextBytes;
    private SealResult result;
    private boolean closed;

    SealingOutputStream(OutputStream sink, ObjectKey objectKey, String repositoryId, SealingKey key, Codec codec)
            throws IOException {
        this(sink, objectKey, repositoryId, key, codec, null);
    }

    /**
     * @param knownSha256 the plaintext's SHA-256 when the caller computed it already (a WAL push
     *                    hashes the segment to name its object): the result carries it and the
     *                    bytes are not hashed a second time; {@code null} to hash them here
     */
    SealingOutputStream(OutputStream sink, ObjectKey objectKey, String repositoryId, SealingKey key, Codec codec,
            byte[] knownSha256) throws IOException {
        this(sink, objectKey, repositoryId, key, codec, knownSha256, -1);
    }

    /**
     * @param precompressedLength {@code >= 0}: what is written is {@code codec}'s output for that
     *                            many plaintext bytes, whose SHA-256 {@code knownSha256} must give;
     *                            it is encrypted as it is. {@code -1}: compress what is written.
     */
    SealingOutputStream(OutputStream sink, ObjectKey objectKey, String repositoryId, SealingKey key, Codec codec,
            byte[] knownSha256, long precompressedLength) throws IOException {
        if (precompressedLength >= 0 && knownSha256 == null) {
            throw new IllegalArgumentException("compressed content needs the SHA-256 of its plaintext");
        }
        this.precompressedLength = precompressedLength;
        this.sink = sink;
        this.known = knownSha256 == null ? null : knownSha256.clone();
        this.digest = knownSha256 == null ? sha256() : null;
        ObjectHeader header = new ObjectHeader(ObjectFormat.AEAD_AES256_GCM_HKDF_64KB, codec.id(), key.keyId(),
                repositoryId, ObjectFormat.keyCheck(key));
        byte[] headerBytes = header.encode();
        sink.write(headerBytes);
        this.counted = new CountingOutputStream(sink);
        OutputStream encrypting;
        try {
            encrypting = ObjectFormat.streamingAead(key)
                    .newEncryptingStream(counted, ObjectFormat.associatedData(headerBytes, objectKey));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("unable to start encrypting '" + objectKey + "'", e);
        }
        this.chain = precompressedLength >= 0 ? encrypting : codec.compress(encrypting);
    }

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JDK", e);
        }
    }

    @Override
    public void write(int b) throws IOException {
        write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
        if (closed) {
            throw new IOException("sealed object already closed");
        }
        if (digest != null) {
            digest.update(b, off, len);
        }
        plaintextBytes += len;
        chain.write(b, off, len);
    }

    /** Flushing would only cut segments short; data is written when a segment is full or at close. */
    @Override
    public void flush() {
    }

    @Override
    public void close() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        try {
            chain.close();
            ByteBuffer trailer = ByteBuffer.allocate(ObjectFormat.TRAILER_BYTES);
            trailer.put(ObjectFormat.TRAILER_MAGIC).putLong(counted.count);
            sink.write(trailer.array());
            result = new SealResult(precompressedLength >= 0 ? precompressedLength : plaintextBytes,
                    ObjectFormat.HEADER_BYTES + counted.count + ObjectFormat.TRAILER_BYTES,
                    digest != null ? digest.digest() : known);
        } finally {
            sink.close();
        }
    }

    /** Sizes and the plaintext SHA-256; only after {@link #close()}. */
    public SealResult result() {
        if (result == null) {
            throw new IllegalStateException("sealed object not closed yet");
        }
        return result;
    }

    /** Counts ciphertext bytes and keeps the codec/AEAD from closing the sink before the trailer. */
    private static final class CountingOutputStream extends FilterOutputStream {
        long count;

        CountingOutputStream(OutputStream out) {
            super(out);
        }

        @Override
        public void write(int b) throws IOException {
            out.write(b);
            count++;
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            out.write(b, off, len);
            count += len;
        }

        @Override
        public void close() throws IOException {
            out.flush();
        }
    }
}
