package org.pgwarden.codec;

import java.io.InputStream;
import java.io.OutputStream;
import org.pgwarden.common.ErrorCode;
import org.pgwarden.common.PgwardenException;

/**
 * A compression codec as a pair of stream wrappers. The codec's {@link #id()} is recorded in every
 * object header, so a reader never guesses how an object was compressed; the level only matters
 * when writing and is not recorded.
 */
public interface Codec {

    /** Header id of the {@code none} codec. Ids are part of the repository format: never reuse one. */
    int ID_NONE = 0;
    /** Header id of the zstd codec (one zstd frame per object). */
    int ID_ZSTD = 1;

    /** The id recorded in object headers. */
    int id();

    /** Name as written in configuration and messages, e.g. {@code zstd-3} or {@code none}. */
    String describe();

    /**
     * Wraps {@code out}: bytes written are compressed into it. Closing the returned stream ends the
     * compressed stream and closes {@code out}.
     */
    OutputStream compress(OutputStream out);

    /** Room {@link #compress(byte[], int, byte[])} needs for {@code length} bytes in the worst case. */
    int maxCompressedLength(int length);

    /**
     * Compresses {@code src[0, length)} at once into {@code dst} (at least
     * {@link #maxCompressedLength} long); {@link #decompress} reads it back like the output of
     * {@link #compress(OutputStream)}. For content already in memory: no stream, no block copies.
     *
     * @return bytes written to {@code dst}
     */
    int compress(byte[] src, int length, byte[] dst);

    /** Wraps {@code in}: bytes read are the decompressed content. Closing it closes {@code in}. */
    InputStream decompress(InputStream in);

    static Codec none() {
        return NoneCodec.INSTANCE;
    }

    /** zstd at {@code level} (negative levels are the fast modes, 1..19 the regular ones). */
    static Codec zstd(int level) {
        return new ZstdCodec(level);
    }

    /**
     * The codec to read an object whose header says {@code id}. The level is irrelevant for reading.
     *
     * @throws PgwardenException {@link ErrorCode#INTEGRITY_HEADER} for an unknown id
     */
    static Codec forId(int id) {
        return switch (id) {
            case ID_NONE -> none();
            case ID_ZSTD -> new ZstdCodec(ZstdCodec.DEFAULT_LEVEL);
            default -> throw new PgwardenException(ErrorCode.INTEGRITY_HEADER,
                    "unknown compression codec id " + id + " (known: 0 none, 1 zstd)");
        };
    }
}
