package org.pgwarden.crypto;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Arrays;
import org.pgwarden.codec.Codec;
import org.pgwarden.storage.ObjectKey;

/**
 * The pull form of {@link SealingOutputStream}, for {@code ObjectStore.put}, which reads what it
 * stores: each read pumps one chunk of plaintext through the sealing chain into a small queue.
 * No thread and no pipe; memory stays at about one AEAD segment.
 */
public final class SealingInputStream extends InputStream {
    private static final int CHUNK = 64 * 1024;

    private final InputStream plaintext;
    private final Queue queue = new Queue();
    private final SealingOutputStream sealing;
    private final byte[] chunk = new byte[CHUNK];
    private boolean finished;

    /** @param precompressedLength see {@link SealingOutputStream}; -1 when {@code plaintext} is not compressed yet */
    SealingInputStream(InputStream plaintext, ObjectKey objectKey, String repositoryId, SealingKey key, Codec codec,
            byte[] knownSha256, long precompressedLength) throws IOException {
        this.plaintext = plaintext;
        this.sealing = new SealingOutputStream(queue, objectKey, repositoryId, key, codec, knownSha256,
                precompressedLength);
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
        while (queue.available() == 0 && !finished) {
            pump();
        }
        if (queue.available() == 0) {
            return -1;
        }
        return queue.take(b, off, len);
    }

    private void pump() throws IOException {
        int n = plaintext.read(chunk);
        if (n < 0) {
            finished = true;
            sealing.close();
        } else if (n > 0) {
            sealing.write(chunk, 0, n);
        }
    }

    /** Sizes and plaintext SHA-256; only after this stream returned end of stream. */
    public SealResult result() {
        return sealing.result();
    }

    @Override
    public void close() throws IOException {
        plaintext.close();
    }

    /** A byte queue that compacts instead of growing while it is drained. */
    private static final class Queue extends OutputStream {
        private byte[] buf = new byte[CHUNK];
        private int start;
        private int end;

        int available() {
            return end - start;
        }

        int take(byte[] b, int off, int len) {
            int n = Math.min(len, end - start);
            System.arraycopy(buf, start, b, off, n);
            start += n;
            if (start == end) {
                start = 0;
                end = 0;
            }
            return n;
        }

        @Override
        public void write(int b) {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) {
            if (end + len > buf.length) {
                System.arraycopy(buf, start, buf, 0, end - start);
                end -= start;
                start = 0;
                if (end + len > buf.length) {
                    buf = Arrays.copyOf(buf, Math.max(buf.length * 2, end + len));
                }
            }
            System.arraycopy(b, off, buf, end, len);
            end += len;
        }
    }
}
