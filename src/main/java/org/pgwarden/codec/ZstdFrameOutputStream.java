package org.pgwarden.codec;

import com.github.luben.zstd.EndDirective;
import com.github.luben.zstd.ZstdCompressCtx;
import java.io.IOException;
import java.io.OutputStream;
import java.lang.ref.Cleaner;
import java.nio.ByteBuffer;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Compresses what is written into one zstd frame, on a native context borrowed from a small pool.
 *
 * <p>Why not {@code ZstdOutputStream}: it creates and initialises a fresh native context per
 * stream, and a backup seals one stream per chunk of at most 1 MiB. Creating the context (and
 * zeroing its match tables) cost about a third of a full backup's CPU in profiles. A context that
 * finished a frame is ready for the next one with the same parameters, so contexts are reused;
 * a stream that ends abnormally (exception before {@link #close()}, or a failed close) frees its
 * context instead of returning a half-written frame's state to the pool.
 *
 * <p>Memory: the pool keeps at most {@link #POOL_LIMIT} idle contexts per level; more streams at
 * once simply create (and later free) extra contexts.
 */
final class ZstdFrameOutputStream extends OutputStream {
    /** Input block size: zstd's own recommendation for streaming ({@code ZSTD_CStreamInSize}). */
    private static final int IN_BYTES = 128 * 1024;
    /** Output buffer: at least one full compressed block ({@code ZSTD_CStreamOutSize}). */
    private static final int OUT_BYTES = 128 * 1024 + 512;
    static final int POOL_LIMIT = Math.max(4, 2 * Runtime.getRuntime().availableProcessors());

    private static final int LEVELS = ZstdCodec.MAX_LEVEL - ZstdCodec.MIN_LEVEL + 1;
    @SuppressWarnings("unchecked")
    private static final ConcurrentLinkedDeque<Compressor>[] POOLS = new ConcurrentLinkedDeque[LEVELS];
    private static final AtomicInteger[] IDLE = new AtomicInteger[LEVELS];

    static {
        for (int i = 0; i < LEVELS; i++) {
            POOLS[i] = new ConcurrentLinkedDeque<>();
            IDLE[i] = new AtomicInteger();
        }
    }

    /** A native context with its two direct buffers; used by one stream at a time. */
    private static final class Compressor {
        final int level;
        final ZstdCompressCtx ctx;
        final ByteBuffer in = ByteBuffer.allocateDirect(IN_BYTES);
        final ByteBuffer out = ByteBuffer.allocateDirect(OUT_BYTES);
        final byte[] transfer = new byte[OUT_BYTES];

        Compressor(int level) {
            this.level = level;
            this.ctx = new ZstdCompressCtx();
            ctx.setLevel(level);
            // A checksum inside the frame would duplicate the AEAD tag and the plaintext SHA-256.
            ctx.setChecksum(false);
        }
    }

    private static final Cleaner CLEANER = Cleaner.create();

    /**
     * Frees the context of a stream dropped without {@link #close()} (an upstream failure);
     * references only this holder, never the stream, so the stream can become unreachable.
     */
    private static final class Abandoned implements Runnable {
        volatile Compressor held;

        @Override
        public void run() {
            Compressor c = held;
            held = null;
            if (c != null) {
                c.ctx.close();
            }
        }
    }

    private final OutputStream sink;
    private final Abandoned abandoned = new Abandoned();
    private final Cleaner.Cleanable cleanable;
    private Compressor c;
    private boolean closed;

    ZstdFrameOutputStream(OutputStream sink, int level) {
        this.sink = sink;
        this.c = borrow(level);
        c.in.clear();
        abandoned.held = c;
        this.cleanable = CLEANER.register(this, abandoned);
    }

    private static Compressor borrow(int level) {
        int slot = level - ZstdCodec.MIN_LEVEL;
        Compressor pooled = POOLS[slot].pollFirst();
        if (pooled != null) {
            IDLE[slot].decrementAndGet();
            return pooled;
        }
        return new Compressor(level);
    }

    private static void giveBack(Compressor c) {
        int slot = c.level - ZstdCodec.MIN_LEVEL;
        if (IDLE[slot].incrementAndGet() <= POOL_LIMIT) {
            POOLS[slot].addFirst(c);
        } else {
            IDLE[slot].decrementAndGet();
            c.ctx.close();
        }
    }

    /**
     * Compresses {@code src[0, length)} into one frame in {@code dst} on a pooled context. The
     * frame also records the content size, which readers accept like the streamed frames.
     */
    static int compressWhole(int level, byte[] src, int length, byte[] dst) {
        Compressor c = borrow(level);
        boolean ok = false;
        try {
            int n = c.ctx.compressByteArray(dst, 0, dst.length, src, 0, length);
            ok = true;
            return n;
        } finally {
            if (ok) {
                giveBack(c);
            } else {
                c.ctx.close();
            }
        }
    }

    /** Idle contexts held for {@code level}; for tests. */
    static int idle(int level) {
        return IDLE[level - ZstdCodec.MIN_LEVEL].get();
    }

    @Override
    public void write(int b) throws IOException {
        ensureOpen();
        if (!c.in.hasRemaining()) {
            drain(EndDirective.CONTINUE);
        }
        c.in.put((byte) b);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
        ensureOpen();
        java.util.Objects.checkFromIndexSize(off, len, b.length);
        while (len > 0) {
            if (!c.in.hasRemaining()) {
                drain(EndDirective.CONTINUE);
            }
            int n = Math.min(len, c.in.remaining());
            c.in.put(b, off, n);
            off += n;
            len -= n;
        }
    }

    /** Compresses the buffered input; with {@code END}, until the frame is complete. */
    private void drain(EndDirective directive) throws IOException {
        ByteBuffer in = c.in;
        in.flip();
        boolean done;
        do {
            c.out.clear();
            done = c.ctx.compressDirectByteBufferStream(c.out, in, directive);
            c.out.flip();
            int n = c.out.remaining();
            if (n > 0) {
                c.out.get(c.transfer, 0, n);
                sink.write(c.transfer, 0, n);
            }
        } while (directive == EndDirective.END ? !done : in.hasRemaining());
        in.clear();
    }

    /** Flushing would end a compressed block early; the frame is written at close. */
    @Override
    public void flush() {
    }

    @Override
    public void close() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        Compressor mine = c;
        boolean frameComplete = false;
        try {
            drain(EndDirective.END);
            frameComplete = true;
        } finally {
            c = null;
            abandoned.held = null;
            cleanable.clean();
            if (frameComplete) {
                giveBack(mine);
            } else {
                mine.ctx.close();
            }
            sink.close();
        }
    }

    private void ensureOpen() throws IOException {
        if (closed) {
            throw new IOException("zstd stream already closed");
        }
    }
}
