package org.pgwarden.adapter.s3;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import org.pgwarden.common.ErrorCode;
import org.pgwarden.common.PgwardenException;
import software.amazon.awssdk.core.exception.SdkException;

/**
 * The body of a GET as the caller sees it: SDK exceptions raised while reading (a dropped
 * connection, a checksum that does not match the bytes received) become pgwarden errors naming
 * the object, so no vendor type leaks past the adapter.
 */
final class TranslatingInputStream extends FilterInputStream {
    private final String uri;

    TranslatingInputStream(InputStream in, String uri) {
        super(in);
        this.uri = uri;
    }

    @Override
    public int read() throws IOException {
        try {
            return in.read();
        } catch (SdkException e) {
            throw translate(e);
        }
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        try {
            return in.read(b, off, len);
        } catch (SdkException e) {
            throw translate(e);
        }
    }

    @Override
    public long skip(long n) throws IOException {
        try {
            return in.skip(n);
        } catch (SdkException e) {
            throw translate(e);
        }
    }

    private PgwardenException translate(SdkException e) {
        String m = e.getMessage() == null ? "" : e.getMessage();
        if (m.contains("checksum")) {
            return new PgwardenException(ErrorCode.INTEGRITY_CHECKSUM,
                    "unable to get '" + uri + "': the bytes received do not match the object's SHA-256", e);
        }
        return S3Errors.translate(e, "get", uri);
    }
}
