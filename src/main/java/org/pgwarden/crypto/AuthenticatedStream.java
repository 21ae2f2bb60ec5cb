package org.pgwarden.crypto;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import org.pgwarden.common.ErrorCode;
import org.pgwarden.common.PgwardenException;
import org.pgwarden.storage.ObjectKey;

/**
 * Sits on Tink's decrypting stream and turns its failures into named integrity errors: the
 * repository stream failing is passed on as it is; otherwise, if the object was read to its end
 * and its trailer does not match, it was truncated; anything else is a failed authentication
 * (flipped bit, swapped object, or an object written under another object key).
 */
final class AuthenticatedStream extends FilterInputStream {
    private final BodyStream body;
    private final ObjectKey objectKey;

    AuthenticatedStream(InputStream decrypting, BodyStream body, ObjectKey objectKey) {
        super(decrypting);
        this.body = body;
        this.objectKey = objectKey;
    }

    @Override
    public int read() throws IOException {
        try {
            return super.read();
        } catch (IOException e) {
            throw classify(e);
        }
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        try {
            return super.read(b, off, len);
        } catch (IOException e) {
            throw classify(e);
        }
    }

    @Override
    public long skip(long n) throws IOException {
        try {
            return super.skip(n);
        } catch (IOException e) {
            throw classify(e);
        }
    }

    private RuntimeException classify(IOException e) throws IOException {
        if (body.sourceFailure() != null) {
            if (body.sourceFailure() instanceof PgwardenException p) {
                throw p;
            }
            throw new PgwardenException(ErrorCode.REPO_IO, "unable to read object '" + objectKey + "'", e);
        }
        try {
            body.drain();
        } catch (IOException | RuntimeException ignored) {
            // the repository stream failing now changes nothing: the object is already refused
        }
        String problem = body.atEof() ? body.trailerProblem() : null;
        if (problem != null) {
            return new PgwardenException(ErrorCode.INTEGRITY_TRUNCATED,
                    "object '" + objectKey + "' is truncated: " + problem);
        }
        return new PgwardenException(ErrorCode.INTEGRITY_AUTHENTICATION, "object '" + objectKey
                + "' failed authentication: it was modified, swapped with another object, or written for another key",
                "restore from another copy of the repository; run 'pgwarden verify' to find other damaged objects",
                null);
    }

    @Override
    public boolean markSupported() {
        return false;
    }
}
