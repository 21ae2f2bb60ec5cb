package org.pgwarden.codec;

import java.io.InputStream;
import java.io.OutputStream;

/** Stores bytes as they are: for data that is already compressed or encrypted upstream. */
final class NoneCodec implements Codec {
    static final NoneCodec INSTANCE = new NoneCodec();

    private NoneCodec() {
    }

    @Override
    public int id() {
        return ID_NONE;
    }

    @Override
    public String describe() {
        return "none";
    }

    @Override
    public OutputStream compress(OutputStream out) {
        return out;
    }

    @Override
    public int maxCompressedLength(int length) {
        return length;
    }

    @Override
    public int compress(byte[] src, int length, byte[] dst) {
        System.arraycopy(src, 0, dst, 0, length);
        return length;
    }

    @Override
    public InputStream decompress(InputStream in) {
        return in;
    }

    @Override
    public String toString() {
        return describe();
    }
}
