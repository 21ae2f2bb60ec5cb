package org.pgwarden.adapter.s3;

import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;
import java.util.Arrays;
import org.pgwarden.common.ErrorCode;
import org.pgwarden.common.PgwardenException;

/**
 * Cuts a stream of unknown length into parts of at most {@code partSize} bytes, hashing the whole
 * object on the way. It reads one byte ahead after a full part, so the last part is known before
 * it is sent: an object of exactly one part size is a single PUT, not a one-part upload.
 */
final class PartSource {
    /** The first buffer starts small and grows, so a 200-byte lock file does not cost a whole part. */
    private static final int FIRST_BUFFER = 64 * 1024;

    record Part(byte[] buffer, int length, boolean last) {
    }

    private final InputStream in;
    private final int partSize;
    private final String operation;
    private final String location;
    private final MessageDigest whole = Sha256.newDigest();
    private long size;
    private int pending = -1;
    private boolean eof;

    PartSource(InputStream in, int partSize, String operation, String location) {
        this.in = in;
        this.partSize = partSize;
        this.operation = operation;
        this.location = location;
    }

    Part first() {
        byte[] buf = new byte[Math.min(partSize, FIRST_BUFFER)];
        int len = fill(buf, 0);
        while (!eof && buf.length < partSize) {
            buf = Arrays.copyOf(buf, (int) Math.min(partSize, 2L * buf.length));
            len = fill(buf, len);
        }
        return finish(buf, len);
    }

    /** The next part, read into {@code buf} (of part size). */
    Part next(byte[] buf) {
        int len = 0;
        if (pending >= 0) {
            buf[0] = (byte) pending;
            pending = -1;
            len = 1;
        }
        return finish(buf, fill(buf, len));
    }

    long size() {
        return size;
    }

    /** Hex SHA-256 of everything read; valid once the last part was returned. */
    String sha256Hex() {
        return Sha256.hex(whole.digest());
    }

    private Part finish(byte[] buf, int len) {
        if (!eof) {
            int b = read(new byte[1]);
            if (b < 0) {
                eof = true;
            } else {
                pending = b;
            }
        }
        whole.update(buf, 0, len);
        size += len;
        return new Part(buf, len, eof);
    }

    /** Reads until {@code buf} is full or the stream ends; returns the new fill level. */
    private int fill(byte[] buf, int off) {
        while (off < buf.length) {
            int n;
            try {
                n = in.read(buf, off, buf.length - off);
            } catch (IOException e) {
                throw sourceFailed(e);
            }
            if (n < 0) {
                eof = true;
                break;
            }
            off += n;
        }
        return off;
    }

    private int read(byte[] one) {
        try {
            int n;
            do {
                n = in.read(one, 0, 1);
            } while (n == 0);
            return n < 0 ? -1 : one[0] & 0xff;
        } catch (IOException e) {
            throw sourceFailed(e);
        }
    }

    private PgwardenException sourceFailed(IOException e) {
        return new PgwardenException(ErrorCode.REPO_SOURCE_FAILED,
                "unable to " + operation + " '" + location + "': reading the source failed: " + e, e);
    }
}
