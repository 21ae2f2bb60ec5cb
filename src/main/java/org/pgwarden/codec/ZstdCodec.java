package org.pgwarden.codec;

import com.github.luben.zstd.Zstd;
import com.github.luben.zstd.ZstdInputStreamNoFinalizer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import org.pgwarden.common.ErrorCode;
import org.pgwarden.common.PgwardenException;

/**
 * zstd through zstd-jni. Writing goes through {@link ZstdFrameOutputStream}, which reuses native
 * contexts across objects; reading uses the "no finalizer" stream class because every stream here
 * is closed explicitly and finalizers would only delay freeing the native context.
 */
final class ZstdCodec implements Codec {
    /** Level used to read (irrelevant) and the configuration default; see {@code CompressionConfig}. */
    static final int DEFAULT_LEVEL = 1;
    static final int MIN_LEVEL = -7;
    static final int MAX_LEVEL = 19;

    private final int level;

    ZstdCodec(int level) {
        if (level < MIN_LEVEL || level > MAX_LEVEL) {
            throw new IllegalArgumentException("zstd level " + level + " outside " + MIN_LEVEL + ".." + MAX_LEVEL);
        }
        this.level = level;
    }

    @Override
    public int id() {
        return ID_ZSTD;
    }

    @Override
    public String describe() {
        return "zstd-" + level;
    }

    @Override
    public OutputStream compress(OutputStream out) {
        return new ZstdFrameOutputStream(out, level);
    }

    @Override
    public int maxCompressedLength(int length) {
        return Math.toIntExact(Zstd.compressBound(length));
    }

    /** One frame, as the stream writes, but in one call: a tenth faster than streaming 128 KiB blocks. */
    @Override
    public int compress(byte[] src, int length, byte[] dst) {
        return ZstdFrameOutputStream.compressWhole(level, src, length, dst);
    }

    @Override
    public InputStream decompress(InputStream in) {
        try {
            ZstdInputStreamNoFinalizer z = new ZstdInputStreamNoFinalizer(in);
            // Refuse a stream that ends inside a frame instead of returning a short result.
            z.setContinuous(false);
            return z;
        } catch (IOException e) {
            throw new PgwardenException(ErrorCode.INTEGRITY_HEADER, "unable to start zstd decompression", e);
        }
    }

    @Override
    public String toString() {
        return describe();
    }
}
