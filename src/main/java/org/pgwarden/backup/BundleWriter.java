package org.pgwarden.backup;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import org.pgwarden.common.ErrorCode;
import org.pgwarden.common.PgwardenException;
import org.pgwarden.storage.ObjectInfo;
import org.pgwarden.storage.ObjectKey;
import org.pgwarden.storage.ObjectStore;

/**
 * One bundle object being uploaded while it is written: sealed chunks are appended back to back
 * and streamed to the store through a bounded pipe, so a bundle is never held in memory. The
 * object becomes visible only when {@link #finish()} succeeds; {@link #abort} makes the store
 * discard it (the input stream fails, and stores drop a failed write).
 */
final class BundleWriter {
    private static final int PIPE_BUFFER = 1 << 20;

    private final ObjectKey key;
    private final FailablePipe in;
    private final PipedOutputStream out;
    private final Future<ObjectInfo> upload;
    private long offset;
    private boolean closed;

    BundleWriter(ObjectStore store, ObjectKey key, ExecutorService uploads) {
        this.key = key;
        try {
            FailablePipe pipe = new FailablePipe(PIPE_BUFFER);
            this.in = pipe;
            this.out = new PipedOutputStream(pipe);
            this.upload = uploads.submit(() -> {
                try (pipe) {
                    return store.put(key, pipe);
                }
            });
        } catch (IOException e) {
            throw new PgwardenException(ErrorCode.INTERNAL, "unable to open a pipe for '" + key + "'", e);
        }
    }

    ObjectKey key() {
        return key;
    }

    /** Bytes written so far: the offset the next chunk will start at. */
    long offset() {
        return offset;
    }

    /** Appends one sealed chunk; returns the offset it starts at. */
    long append(byte[] sealedChunk) {
        long at = offset;
        try {
            out.write(sealedChunk);
        } catch (IOException e) {
            throw uploadFailure(e);
        }
        offset += sealedChunk.length;
        return at;
    }

    /** Ends the object and waits until the store holds it. */
    ObjectInfo finish() {
        closed = true;
        try {
            out.close();
        } catch (IOException e) {
            throw uploadFailure(e);
        }
        return await();
    }

    /** Makes the upload fail so that nothing becomes visible. */
    void abort(Throwable cause) {
        if (closed) {
            return;
        }
        closed = true;
        in.fail(cause);
        try {
            out.close();
        } catch (IOException ignored) {
            // the reading side already fails; nothing more to report
        }
        try {
            upload.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | java.util.concurrent.CancellationException expected) {
            // the store refused the failed stream, as intended
        }
    }

    private ObjectInfo await() {
        try {
            return upload.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new PgwardenException(ErrorCode.CANCELLED, "interrupted while storing '" + key + "'", e);
        } catch (ExecutionException e) {
            throw PgwardenException.of(e.getCause());
        }
    }

    /** The pipe broke because the upload ended: report the upload's own error. */
    private PgwardenException uploadFailure(IOException e) {
        if (upload.isDone()) {
            try {
                upload.get();
            } catch (ExecutionException ee) {
                return PgwardenException.of(ee.getCause());
            } catch (InterruptedException ie) {
                Thread.currentThread().interrupt();
            } catch (java.util.concurrent.CancellationException ce) {
                // fall through to the pipe's own error
            }
        }
        if (e instanceof InterruptedIOException) {
            return new PgwardenException(ErrorCode.CANCELLED, "interrupted while writing '" + key + "'", e);
        }
        return new PgwardenException(ErrorCode.REPO_IO, "unable to write '" + key + "': " + e.getMessage(), e);
    }

    /**
     * A pipe whose reading side can be made to fail, so the store sees an error (and discards
     * the object) instead of a clean end of stream.
     */
    static final class FailablePipe extends PipedInputStream {
        private volatile Throwable failure;

        FailablePipe(int size) {
            super(size);
        }

        void fail(Throwable cause) {
            failure = cause == null ? new IOException("aborted") : cause;
        }

        private void check() throws IOException {
            Throwable f = failure;
            if (f != null) {
                throw new IOException("bundle write aborted: " + f.getMessage(), f);
            }
        }

        @Override
        public synchronized int read() throws IOException {
            check();
            int b = super.read();
            check();
            return b;
        }

        @Override
        public synchronized int read(byte[] b, int off, int len) throws IOException {
            check();
            int n = super.read(b, off, len);
            check();
            return n;
        }
    }
}
