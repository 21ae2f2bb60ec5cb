package org.pgwarden.crypto;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.pgwarden.codec.Codec;
import org.pgwarden.storage.ObjectKey;

/** The committed golden object, written per {@code docs/repository-format.md}, stays readable. */
class GoldenObjectTest {
    static final ObjectKey KEY = new ObjectKey(GoldenObjectBuilder.OBJECT_KEY);
    final SealedObjectReader reader = new SealedObjectReader(GoldenObjectBuilder.REPOSITORY_ID,
            id -> new SealingKey(id, GoldenObjectBuilder.testKey()));

    @Test
    void readsTheCommittedGoldenObject() throws IOException {
        byte[] golden = resource("golden/v1-zstd.pgwobj");
        try (UnsealingInputStream in = reader.open(new ByteArrayInputStream(golden), KEY)) {
            assertThat(in.readAllBytes()).isEqualTo(resource("golden/v1-zstd.plaintext"));
            assertThat(in.header().keyId()).isEqualTo(GoldenObjectBuilder.KEY_ID);
            assertThat(in.header().codecId()).isEqualTo(Codec.ID_ZSTD);
            assertThat(in.result().storedBytes()).isEqualTo(golden.length);
        }
    }

    @Test
    void readsAnObjectBuiltFromTheDocumentAlone() throws Exception {
        try (UnsealingInputStream in = reader.open(new ByteArrayInputStream(GoldenObjectBuilder.build()), KEY)) {
            assertThat(in.readAllBytes()).isEqualTo(GoldenObjectBuilder.PLAINTEXT);
        }
    }

    @Test
    void goldenFieldsSitAtTheDocumentedOffsets() throws IOException {
        ByteBuffer b = ByteBuffer.wrap(resource("golden/v1-zstd.pgwobj"));
        assertThat(new String(b.array(), 0, 8, StandardCharsets.US_ASCII)).isEqualTo("PGWOBJ\r\n");
        assertThat(b.get(8)).isEqualTo((byte) 1);
        assertThat(b.get(9)).isEqualTo((byte) 1);
        assertThat(b.get(10)).isEqualTo((byte) 1);
        assertThat(b.get(11)).isZero();
        assertThat(new String(b.array(), 14, b.get(12), StandardCharsets.UTF_8)).isEqualTo(GoldenObjectBuilder.KEY_ID);
        assertThat(new String(b.array(), 78, b.get(13), StandardCharsets.UTF_8)).isEqualTo("main");
        assertThat(b.get(162)).as("Tink header length byte").isEqualTo((byte) 40);
        int trailer = b.capacity() - 12;
        assertThat(new String(b.array(), trailer, 4, StandardCharsets.US_ASCII)).isEqualTo("PGWT");
        assertThat(b.getLong(trailer + 4)).isEqualTo(trailer - 162L);
    }

    @Test
    void writerProducesTheDocumentedHeaderByteForByte() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (SealingOutputStream s = new SealedObjectWriter(GoldenObjectBuilder.REPOSITORY_ID, Codec.zstd(3))
                .open(out, KEY, new SealingKey(GoldenObjectBuilder.KEY_ID, GoldenObjectBuilder.testKey()))) {
            s.write(GoldenObjectBuilder.PLAINTEXT);
        }
        byte[] header = new byte[ObjectFormat.HEADER_BYTES];
        System.arraycopy(out.toByteArray(), 0, header, 0, header.length);
        assertThat(header).isEqualTo(GoldenObjectBuilder.header(Codec.ID_ZSTD));
        assertThat(ObjectFormat.HEADER_BYTES).isEqualTo(162);
        assertThat(ObjectFormat.TRAILER_BYTES).isEqualTo(12);
    }

    private static byte[] resource(String name) throws IOException {
        try (InputStream in = GoldenObjectTest.class.getClassLoader().getResourceAsStream(name)) {
            assertThat(in).as(name).isNotNull();
            return in.readAllBytes();
        }
    }
}
