package org.pgwarden.repo;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.pgwarden.common.ErrorCode;
import org.pgwarden.common.PgwardenException;
import org.pgwarden.storage.ObjectKey;

/**
 * Turns the store's pull-style {@code put(key, InputStream)} into a stream the caller writes to,
 * for objects produced piece by piece (a manifest). A background thread runs the put while the
 * caller writes; they meet in a queue of a few fixed-size buffers, so memory does not grow with the
 * object. {@link #finish()} ends the object and waits for the put; {@link #abort()} makes the put
 * fail, so the store leaves nothing visible.
 *
 * @param <R> what the put returns
 */
final class StreamingPut<R> extends OutputStream {
    private static final int BUFFER_BYTES = 64 * 1024;
    private static final int QUEUED_BUFFERS = 4;
    private static final byte[] END = new byte[0];
    private static final byte[] ABORT = new byte[0];

    private final ObjectKey key;
    private final BlockingQueue<byte[]> queue = new ArrayBlockingQueue<>(QUEUED_BUFFERS);
    private final Thread thread;
    private byte[] buffer = new byte[BUFFER_BYTES];
    private int filled;
    private volatile boolean putDone;
    private volatile R result;
    private volatile RuntimeException failure;
    private boolean ended;

    StreamingPut(ObjectKey key, Function<InputStream, R> put) {
        this.key = key;
        this.thread = new Thread(() -> run(put), "pgwarden-put-" + key.name());
        thread.setDaemon(true);
        thread.start();
    }

    private void run(Function<InputStream, R> put) {
        try {
            result = put.apply(new QueueInputStream());
        } catch (RuntimeException e) {
            failure = e;
        } catch (Error e) {
            failure = new PgwardenException(ErrorCode.INTERNAL, "writing '" + key + "' failed: " + e, e);
        } finally {
            putDone = true;
            queue.clear();
        }
    }

    @Override
    public void write(int b) throws IOException {
        write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
        if (ended) {
            throw new IOException("object '" + key + "' is already finished");
        }
        while (len > 0) {
            int n = Math.min(len, buffer.length - filled);
            System.arraycopy(b, off, buffer, filled, n);
            filled += n;
            off += n;
            len -= n;
            if (filled == buffer.length) {
                hand(buffer);
                buffer = new byte[BUFFER_BYTES];
                filled = 0;
            }
        }
    }

    /** Ends the object and returns what the put returned; the put's failure is rethrown as is. */
    R finish() {
        if (ended) {
            throw new IllegalStateException("object '" + key + "' is already finished");
        }
        try {
            if (filled > 0) {
                byte[] last = new byte[filled];
                System.arraycopy(buffer, 0, last, 0, filled);
                hand(last);
            }
            hand(END);
        } catch (IOException e) {
            // hand() only fails once the put has stopped: its own failure is reported below.
        } finally {
            ended = true;
        }
        join();
        if (failure != null) {
            throw failure;
        }
        return result;
    }

    /** Makes the put fail so nothing is stored, and waits for it; safe to call more than once. */
    void abort() {
        if (!ended) {
            ended = true;
            while (!putDone && !queue.offer(ABORT)) {
                queue.poll();
            }
        }
        join();
    }

    /** Why the put failed, once it has stopped; null when it did not (yet). */
    RuntimeException failure() {
        return putDone ? failure : null;
    }

    /** An aborted or finished object is already handled; closing is the same as aborting one still open. */
    @Override
    public void close() {
        abort();
    }

    private void hand(byte[] chunk) throws IOException {
        try {
            while (!queue.offer(chunk, 50, TimeUnit.MILLISECONDS)) {
                if (putDone) {
                    throw new IOException("writing '" + key + "' stopped early");
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            abort();
            throw new InterruptedIOException("interrupted while writing '" + key + "'");
        }
    }

    private void join() {
        boolean interrupted = false;
        while (thread.isAlive()) {
            try {
                thread.join();
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /** The put's side: reads the queued buffers until the end mark, fails on the abort mark. */
    private final class QueueInputStream extends InputStream {
        private byte[] current = new byte[0];
        private int pos;
        private boolean atEnd;

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
            while (pos == current.length) {
                if (atEnd) {
                    return -1;
                }
                byte[] next = take();
                if (next == END) {
                    atEnd = true;
                    return -1;
                }
                if (next == ABORT) {
                    throw new IOException("writing '" + key + "' was abandoned before it was complete");
                }
                current = next;
                pos = 0;
            }
            int n = Math.min(len, current.length - pos);
            System.arraycopy(current, pos, b, off, n);
            pos += n;
            return n;
        }

        private byte[] take() throws IOException {
            try {
                return queue.take();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("interrupted while writing '" + key + "'");
            }
        }
    }
}
