package org.pgwarden.crypto;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * The ciphertext between header and trailer: passes bytes through while holding the last
 * {@link ObjectFormat#TRAILER_BYTES} back, so the AEAD never sees the trailer. It also remembers
 * whether the repository stream itself failed, so that failure is never reported as tampering.
 *
 * <p>The trailer is not authenticated and does not need to be: the AEAD's last-segment flag
 * already makes any truncation fail. The trailer only lets the reader name the failure
 * ("truncated" instead of "authentication failed").
 */
final class BodyStream extends InputStream {
    private static final int T = ObjectFormat.TRAILER_BYTES;

    private final InputStream in;
    /** Bytes read ahead but not yet released; the last T of them may be the trailer. */
    private byte[] window = new byte[64 * 1024 + T];
    private int windowLen;
    private boolean eof;
    private long released;
    private Exception sourceFailure;

    BodyStream(InputStream in) {
        this.in = in;
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        int n = read(one, 0, 1);
        return n < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        if (len == 0) {
            return 0;
        }
        while (!eof && windowLen <= T) {
            fill();
        }
        int releasable = windowLen - T;
        if (releasable <= 0) {
            return -1;
        }
        int n = Math.min(len, releasable);
        System.arraycopy(window, 0, b, off, n);
        System.arraycopy(window, n, window, 0, windowLen - n);
        windowLen -= n;
        released += n;
        return n;
    }

    private void fill() throws IOException {
        if (windowLen == window.length) {
            window = Arrays.copyOf(window, window.length * 2);
        }
        int n;
        try {
            n = in.read(window, windowLen, window.length - windowLen);
        } catch (IOException | RuntimeException e) {
            sourceFailure = e;
            throw e;
        }
        if (n < 0) {
            eof = true;
        } else {
            windowLen += n;
        }
    }

    /** Reads to the end of the repository stream (after the AEAD reported its end or a failure). */
    void drain() throws IOException {
        byte[] skip = new byte[8192];
        while (read(skip, 0, skip.length) >= 0) {
            // only the trailer check needs what is left
        }
    }

    /** Ciphertext bytes between header and trailer, once the end was reached. */
    long bodyBytes() {
        return released + windowLen - T;
    }

    @Override
    public void close() throws IOException {
        in.close();
    }

    boolean atEof() {
        return eof;
    }

    Exception sourceFailure() {
        return sourceFailure;
    }

    /** Null when the trailer is intact and matches the ciphertext length, else why not. */
    String trailerProblem() {
        if (!eof) {
            return "the object was not read to its end";
        }
        if (windowLen < T) {
            return "it is shorter than header and trailer together";
        }
        ByteBuffer t = ByteBuffer.wrap(window, windowLen - T, T);
        byte[] magic = new byte[ObjectFormat.TRAILER_MAGIC.length];
        t.get(magic);
        if (!Arrays.equals(magic, ObjectFormat.TRAILER_MAGIC)) {
            return "its trailer is missing";
        }
        long declared = t.getLong();
        if (declared != released + windowLen - T) {
            return "its trailer declares " + declared + " ciphertext bytes but " + (released + windowLen - T)
                    + " are present";
        }
        return null;
    }
}
