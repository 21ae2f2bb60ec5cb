package org.pgwarden.codec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;
import org.pgwarden.common.ErrorCode;
import org.pgwarden.common.PgwardenException;

class CodecTest {

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 100, 1 << 20, 3 * (1 << 20) + 17})
    void roundTripsEveryCodec(int size) throws IOException {
        byte[] data = givenData(size);
        for (Codec codec : new Codec[] {Codec.none(), Codec.zstd(1), Codec.zstd(3), Codec.zstd(-3)}) {
            assertThat(decompress(codec, compress(codec, data))).as(codec.describe()).isEqualTo(data);
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 100, 1 << 20, 3 * (1 << 20) + 17})
    void inMemoryCompressionReadsBackLikeTheStreamAndReusesPooledContexts(int size) throws IOException {
        byte[] data = givenData(size);
        for (Codec codec : new Codec[] {Codec.none(), Codec.zstd(1), Codec.zstd(-3)}) {
            for (int round = 0; round < 2; round++) {
                byte[] dst = new byte[codec.maxCompressedLength(size)];
                int n = codec.compress(data, size, dst);
                assertThat(n).isLessThanOrEqualTo(dst.length);
                byte[] frame = java.util.Arrays.copyOf(dst, n);
                assertThat(decompress(codec, frame)).as(codec.describe()).isEqualTo(data);
                // the stream, on a context the call above used, still writes what it always did
                assertThat(decompress(codec, compress(codec, data))).as(codec.describe()).isEqualTo(data);
            }
        }
    }

    @Test
    void zstdShrinksRepetitiveData() throws IOException {
        byte[] data = "2026-11-24 02:00:00|customer 42|ok\n".repeat(10_000).getBytes();
        assertThat(compress(Codec.zstd(3), data).length).isLessThan(data.length / 20);
    }

    @Test
    void idsAreStableAndResolve() {
        assertThat(Codec.none().id()).isZero();
        assertThat(Codec.zstd(6).id()).isEqualTo(1);
        assertThat(Codec.forId(1).id()).isEqualTo(1);
        assertThat(Codec.forId(0)).isSameAs(Codec.none());
        assertThatThrownBy(() -> Codec.forId(7)).isInstanceOf(PgwardenException.class)
                .extracting(e -> ((PgwardenException) e).errorCode()).isEqualTo(ErrorCode.INTEGRITY_HEADER);
    }

    @Test
    void rejectsLevelsOutsideZstdRange() {
        assertThatThrownBy(() -> Codec.zstd(20)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Codec.zstd(-8)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void truncatedZstdFrameFailsInsteadOfReturningShortData() throws IOException {
        byte[] packed = compress(Codec.zstd(1), givenData(100_000));
        byte[] cut = java.util.Arrays.copyOf(packed, packed.length - 10);
        assertThatThrownBy(() -> decompress(Codec.zstd(1), cut)).isInstanceOf(IOException.class);
    }

    @Test
    void pooledZstdContextsProduceIndependentFrames() throws IOException {
        // Many frames in sequence and interleaved: a reused context must start every frame clean.
        byte[] a = givenData(300_000);
        byte[] b = "pgwarden ".repeat(50_000).getBytes();
        for (int i = 0; i < 20; i++) {
            ByteArrayOutputStream outA = new ByteArrayOutputStream();
            ByteArrayOutputStream outB = new ByteArrayOutputStream();
            try (OutputStream ca = Codec.zstd(2).compress(outA); OutputStream cb = Codec.zstd(2).compress(outB)) {
                ca.write(a, 0, 1000);
                cb.write(b);
                ca.write(a, 1000, a.length - 1000);
            }
            assertThat(decompress(Codec.zstd(2), outA.toByteArray())).isEqualTo(a);
            assertThat(decompress(Codec.zstd(2), outB.toByteArray())).isEqualTo(b);
        }
        assertThat(ZstdFrameOutputStream.idle(2)).isBetween(1, ZstdFrameOutputStream.POOL_LIMIT);
    }

    @Test
    void singleByteWritesMakeTheSameContent() throws IOException {
        byte[] data = givenData(200_000);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (OutputStream c = Codec.zstd(1).compress(out)) {
            for (byte x : data) {
                c.write(x);
            }
        }
        assertThat(decompress(Codec.zstd(1), out.toByteArray())).isEqualTo(data);
    }

    @Test
    void aFailingSinkDoesNotReturnAHalfWrittenContextToThePool() throws IOException {
        byte[] data = givenData(1 << 20);
        compress(Codec.zstd(4), data);
        int idleBefore = ZstdFrameOutputStream.idle(4);
        OutputStream failing = new OutputStream() {
            @Override
            public void write(int x) throws IOException {
                throw new IOException("disk full");
            }

            @Override
            public void write(byte[] x, int off, int len) throws IOException {
                throw new IOException("disk full");
            }
        };
        OutputStream c = Codec.zstd(4).compress(failing);
        assertThatThrownBy(() -> {
            c.write(data);
            c.close();
        }).isInstanceOf(IOException.class).hasMessage("disk full");
        assertThatThrownBy(c::close).isInstanceOf(IOException.class);
        assertThat(ZstdFrameOutputStream.idle(4)).isEqualTo(idleBefore - 1);
        assertThat(compress(Codec.zstd(4), data).length).isPositive();
        assertThatThrownBy(() -> c.write(1)).isInstanceOf(IOException.class).hasMessageContaining("closed");
    }

    static byte[] givenData(int size) {
        byte[] b = new byte[size];
        Random r = new Random(size);
        for (int i = 0; i < size; i++) {
            b[i] = (byte) (i % 97 < 40 ? 'a' + r.nextInt(6) : r.nextInt());
        }
        return b;
    }

    static byte[] compress(Codec codec, byte[] data) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (OutputStream c = codec.compress(out)) {
            c.write(data);
        }
        return out.toByteArray();
    }

    static byte[] decompress(Codec codec, byte[] packed) throws IOException {
        try (InputStream in = codec.decompress(new ByteArrayInputStream(packed))) {
            return in.readAllBytes();
        }
    }
}
