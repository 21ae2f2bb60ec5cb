package org.pgwarden.crypto;

import java.io.IOException;
import java.io.InputStream;
import org.pgwarden.common.ErrorCode;
import org.pgwarden.common.PgwardenException;
import org.pgwarden.storage.ObjectKey;

/**
 * The plaintext of a sealed object. Every byte it returns has been authenticated; a damaged,
 * truncated or swapped object fails with a {@link PgwardenException} (an unchecked exception)
 * carrying an {@code INTEGRITY_*} code and the object key. End of stream is reported only after
 * the last segment, the trailer and the codec's end have all been checked, so a caller must
 * treat the content as complete only when {@code read} returned -1.
 */
public final class UnsealingInputStream extends InputStream {
    private final ObjectKey objectKey;
    private final ObjectHeader header;
    private final BodyStream body;
    private final InputStream decrypted;
    private final InputStream plaintext;
    private long plaintextBytes;
    private Sizes result;

    /**
     * What reading the object to its end found. No digest: every reader that needs the plaintext's
     * SHA-256 (restore, verify, wal-fetch) hashes exactly the bytes it checks against the manifest,
     * so hashing here as well only doubled that cost.
     */
    public record Sizes(long plaintextBytes, long storedBytes) {
    }

    UnsealingInputStream(ObjectKey objectKey, ObjectHeader header, BodyStream body, InputStream decrypted,
            InputStream plaintext) {
        this.objectKey = objectKey;
        this.header = header;
        this.body = body;
        this.decrypted = decrypted;
        this.plaintext = plaintext;
    }

    public ObjectHeader header() {
        return header;
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        int n = read(one, 0, 1);
        return n < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        if (result != null) {
            return -1;
        }
        int n;
        try {
            n = plaintext.read(b, off, len);
        } catch (PgwardenException e) {
            throw e;
        } catch (IOException e) {
            if (body.sourceFailure() != null) {
                throw e;
            }
            // The decrypted bytes were authentic, so a codec failure means the writer was broken.
            throw new PgwardenException(ErrorCode.INTEGRITY_CHECKSUM, "compressed content of object '" + objectKey
                    + "' is invalid although it authenticated", e);
        }
        if (n < 0) {
            finish();
            return -1;
        }
        if (n > 0) {
            plaintextBytes += n;
        }
        return n;
    }

    /** The codec reached its end: make sure nothing follows and the last segment and trailer check out. */
    private void finish() throws IOException {
        byte[] rest = new byte[1];
        if (decrypted.read(rest) >= 0) {
            throw new PgwardenException(ErrorCode.INTEGRITY_AUTHENTICATION, "object '" + objectKey
                    + "' has data after the end of its compressed content");
        }
        String problem = body.trailerProblem();
        if (problem != null) {
            throw new PgwardenException(ErrorCode.INTEGRITY_TRUNCATED,
                    "object '" + objectKey + "' is truncated or its end is damaged: " + problem);
        }
        long stored = ObjectFormat.HEADER_BYTES + body.bodyBytes() + ObjectFormat.TRAILER_BYTES;
        result = new Sizes(plaintextBytes, stored);
    }

    /** Plaintext and stored sizes; only after this stream returned end of stream. */
    public Sizes result() {
        if (result == null) {
            throw new IllegalStateException("object '" + objectKey + "' not read to its end yet");
        }
        return result;
    }

    @Override
    public void close() throws IOException {
        plaintext.close();
    }
}
