package org.pgwarden.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.pgwarden.codec.Codec;
import org.pgwarden.common.ErrorCode;
import org.pgwarden.common.PgwardenException;
import org.pgwarden.storage.ObjectKey;

class SealedObjectTest {
    /** Plaintext bytes that fit in one ciphertext segment (the first one also holds Tink's header). */
    static final int SEGMENT = ObjectFormat.streamingAead(givenKey("k", 1)).getPlaintextSegmentSize();
    static final int FIRST_SEGMENT = SEGMENT - ObjectFormat.streamingAead(givenKey("k", 1)).getCiphertextOffset();
    static final ObjectKey KEY = ObjectKey.of("backup", "20261124-020000F", "pg_data", "base", "1", "1259");
    static final String REPO = "main";

    final Map<String, SealingKey> keyring = new HashMap<>();
    final SealingKey dataKey = givenKey("dk-0001", 7);

    SealedObjectTest() {
        keyring.put(dataKey.keyId(), dataKey);
    }

    static Stream<Integer> sizes() {
        int random = new Random().nextInt(3 * SEGMENT);
        return Stream.of(0, 1, FIRST_SEGMENT - 1, FIRST_SEGMENT, FIRST_SEGMENT + 1, SEGMENT - 1, SEGMENT,
                SEGMENT + 1, FIRST_SEGMENT + SEGMENT, 3 * SEGMENT + 12_345, random);
    }

    @ParameterizedTest
    @MethodSource("sizes")
    void roundTripsWithoutCompression(int size) throws IOException {
        assertRoundTrip(Codec.none(), givenPlaintext(size));
    }

    @ParameterizedTest
    @MethodSource("sizes")
    void roundTripsWithZstd(int size) throws IOException {
        assertRoundTrip(Codec.zstd(1), givenPlaintext(size));
    }

    @Test
    void segmentSizesMatchTheDocument() {
        assertThat(SEGMENT).isEqualTo(65_520);
        assertThat(FIRST_SEGMENT).isEqualTo(65_480);
    }

    @Test
    void aDigestTheCallerKnowsIsReportedAndNotComputedAgain() throws Exception {
        byte[] plain = givenPlaintext(SEGMENT + 17);
        byte[] known = java.security.MessageDigest.getInstance("SHA-256").digest(plain);
        SealedObjectWriter writer = new SealedObjectWriter(REPO, Codec.zstd(1));
        SealingInputStream sealing = writer.seal(new ByteArrayInputStream(plain), KEY, dataKey, known);
        byte[] sealed = sealing.readAllBytes();

        assertThat(sealing.result().sha256()).isEqualTo(known);
        assertThat(sealing.result().plaintextBytes()).isEqualTo(plain.length);
        // the object is the same kind of object: it opens and authenticates as any other
        assertThat(reader().open(new ByteArrayInputStream(sealed), KEY).readAllBytes()).isEqualTo(plain);
    }

    @Test
    void contentCompressedInMemoryIsSealedAsItIsAndOpensToThePlaintext() throws Exception {
        byte[] plain = givenPlaintext(3 * SEGMENT + 5);
        byte[] sha = java.security.MessageDigest.getInstance("SHA-256").digest(plain);
        Codec codec = Codec.zstd(1);
        byte[] compressed = new byte[codec.maxCompressedLength(plain.length)];
        int n = codec.compress(plain, plain.length, compressed);
        SealedObjectWriter writer = new SealedObjectWriter(REPO, codec);
        SealingInputStream sealing = writer.sealCompressed(new ByteArrayInputStream(compressed, 0, n), KEY, dataKey,
                plain.length, sha);
        byte[] sealed = sealing.readAllBytes();

        assertThat(sealing.result().plaintextBytes()).isEqualTo(plain.length);
        assertThat(sealing.result().sha256()).isEqualTo(sha);
        assertThat(reader().open(new ByteArrayInputStream(sealed), KEY).readAllBytes()).isEqualTo(plain);
        assertThatThrownBy(() -> writer.sealCompressed(new ByteArrayInputStream(compressed, 0, n), KEY, dataKey,
                plain.length, null)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void pullAndPushFormsAgreeOnLengthAndDigest() throws IOException {
        byte[] plain = givenPlaintext(2 * SEGMENT + 5);
        SealedObjectWriter writer = new SealedObjectWriter(REPO, Codec.zstd(3));
        SealingInputStream pulled = writer.seal(new ByteArrayInputStream(plain), KEY, dataKey);
        byte[] sealed = pulled.readAllBytes();
        ByteArrayOutputStream pushedBytes = new ByteArrayOutputStream();
        SealingOutputStream pushed = writer.open(pushedBytes, KEY, dataKey);
        pushed.write(plain);
        pushed.close();
        assertThat(pulled.result().sha256Hex()).isEqualTo(pushed.result().sha256Hex()).isEqualTo(sha256Hex(plain));
        assertThat(pulled.result().storedBytes()).isEqualTo(sealed.length);
        assertThat(pushed.result().storedBytes()).isEqualTo(pushedBytes.size());
        // A fresh salt per object: sealing the same plaintext twice never gives the same bytes.
        assertThat(sealed).isNotEqualTo(pushedBytes.toByteArray());
    }

    @Test
    void headerRecordsKeyCodecAndRepository() throws IOException {
        byte[] sealed = seal(Codec.zstd(1), givenPlaintext(10), KEY);
        try (UnsealingInputStream in = reader().open(new ByteArrayInputStream(sealed), KEY)) {
            assertThat(in.header().keyId()).isEqualTo("dk-0001");
            assertThat(in.header().codecId()).isEqualTo(Codec.ID_ZSTD);
            assertThat(in.header().repositoryId()).isEqualTo(REPO);
            assertThat(in.header().toString()).doesNotContain(Arrays.toString(dataKey.secret()));
        }
    }

    // ---- tampering: every case refused with its own code and the object key ----

    @Test
    void everyFlippedHeaderBitIsAHeaderError() throws IOException {
        byte[] sealed = seal(Codec.none(), givenPlaintext(100), KEY);
        for (int bit = 0; bit < ObjectFormat.HEADER_BYTES * 8; bit++) {
            assertRefused(flip(sealed, bit), KEY, ErrorCode.INTEGRITY_HEADER);
        }
    }

    @Test
    void forgedHeaderWithValidChecksumIsStillRefused() throws IOException {
        byte[] sealed = seal(Codec.none(), givenPlaintext(100), KEY);
        // Key id byte replaced by invalid UTF-8, CRC recomputed: refused as a header error.
        assertRefused(withCrc(sealed, 14, (byte) 0xff), KEY, ErrorCode.INTEGRITY_HEADER);
        // Codec switched from none to zstd with a valid CRC: the header is authenticated data.
        assertRefused(withCrc(sealed, 10, (byte) Codec.ID_ZSTD), KEY, ErrorCode.INTEGRITY_AUTHENTICATION);
    }

    static byte[] withCrc(byte[] sealed, int at, byte value) {
        byte[] c = sealed.clone();
        c[at] = value;
        java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
        crc.update(c, 0, ObjectFormat.HEADER_BYTES - 4);
        java.nio.ByteBuffer.wrap(c).putInt(ObjectFormat.HEADER_BYTES - 4, (int) crc.getValue());
        return c;
    }

    @Test
    void flippedBitsInCiphertextAndTagFailAuthentication() throws IOException {
        byte[] sealed = seal(Codec.zstd(1), givenPlaintext(FIRST_SEGMENT + 1000), KEY);
        int bodyStart = ObjectFormat.HEADER_BYTES;
        int bodyEnd = sealed.length - ObjectFormat.TRAILER_BYTES;
        // Tink's own header (salt, nonce prefix), the first bytes, the middle and the last tag.
        IntStream.of(bodyStart, bodyStart + 5, bodyStart + 40, (bodyStart + bodyEnd) / 2, bodyEnd - 17, bodyEnd - 1)
                .forEach(at -> assertRefused(flip(sealed, at * 8 + 3), KEY, ErrorCode.INTEGRITY_AUTHENTICATION));
    }

    @Test
    void truncationAnywhereIsNamedTruncation() throws IOException {
        byte[] sealed = seal(Codec.none(), givenPlaintext(2 * SEGMENT + 100), KEY);
        int[] cuts = {0, 5, ObjectFormat.HEADER_BYTES - 1, ObjectFormat.HEADER_BYTES, ObjectFormat.HEADER_BYTES + 20,
                ObjectFormat.HEADER_BYTES + ObjectFormat.CIPHERTEXT_SEGMENT_BYTES,
                ObjectFormat.HEADER_BYTES + 2 * ObjectFormat.CIPHERTEXT_SEGMENT_BYTES,
                sealed.length - ObjectFormat.TRAILER_BYTES, sealed.length - 1};
        for (int cut : cuts) {
            assertRefused(Arrays.copyOf(sealed, cut), KEY, ErrorCode.INTEGRITY_TRUNCATED);
        }
    }

    @Test
    void extendedObjectIsRefused() throws IOException {
        byte[] sealed = seal(Codec.none(), givenPlaintext(1000), KEY);
        byte[] longer = Arrays.copyOf(sealed, sealed.length + 12);
        assertRefused(longer, KEY, ErrorCode.INTEGRITY_TRUNCATED);
    }

    @Test
    void swappedObjectsWithValidTagsFailAuthentication() throws IOException {
        ObjectKey other = ObjectKey.of("backup", "20261124-020000F", "pg_data", "base", "1", "1260");
        byte[] a = seal(Codec.zstd(1), givenPlaintext(5000), KEY);
        byte[] b = seal(Codec.zstd(1), givenPlaintext(6000), other);
        assertRefused(b, KEY, ErrorCode.INTEGRITY_AUTHENTICATION);
        assertRefused(a, other, ErrorCode.INTEGRITY_AUTHENTICATION);
    }

    @Test
    void wrongKeyUnderTheSameIdIsNamedWrongKey() throws IOException {
        byte[] sealed = seal(Codec.none(), givenPlaintext(100), KEY);
        keyring.put(dataKey.keyId(), givenKey(dataKey.keyId(), 8));
        assertRefused(sealed, KEY, ErrorCode.INTEGRITY_WRONG_KEY);
    }

    @Test
    void missingKeyIsNamedByTheKeySource() throws IOException {
        byte[] sealed = seal(Codec.none(), givenPlaintext(100), KEY);
        keyring.clear();
        assertRefused(sealed, KEY, ErrorCode.INTEGRITY_UNKNOWN_KEY);
    }

    @Test
    void objectFromAnotherRepositoryIsNamedWrongStanza() throws IOException {
        byte[] sealed = seal(Codec.none(), givenPlaintext(100), KEY);
        SealedObjectReader otherRepo = new SealedObjectReader("reporting", this::resolve);
        assertThatThrownBy(() -> otherRepo.open(new ByteArrayInputStream(sealed), KEY).readAllBytes())
                .isInstanceOfSatisfying(PgwardenException.class, e -> {
                    assertThat(e.errorCode()).isEqualTo(ErrorCode.INTEGRITY_WRONG_STANZA);
                    assertThat(e.getMessage()).contains("'" + KEY + "'", "'main'", "'reporting'");
                });
    }

    @Test
    void repositoryStreamFailureIsNotReportedAsTampering() throws IOException {
        byte[] sealed = seal(Codec.none(), givenPlaintext(3 * SEGMENT), KEY);
        InputStream failing = new InputStream() {
            int pos;

            @Override
            public int read() throws IOException {
                if (pos == SEGMENT + 100) {
                    throw new IOException("connection reset");
                }
                return sealed[pos++] & 0xff;
            }
        };
        assertThatThrownBy(() -> reader().open(failing, KEY).readAllBytes())
                .isInstanceOfSatisfying(PgwardenException.class,
                        e -> assertThat(e.errorCode()).isEqualTo(ErrorCode.REPO_IO));
    }

    // ---- helpers ----

    void assertRoundTrip(Codec codec, byte[] plain) throws IOException {
        SealedObjectWriter writer = new SealedObjectWriter(REPO, codec);
        SealingInputStream sealing = writer.seal(new ByteArrayInputStream(plain), KEY, dataKey);
        byte[] sealed = sealing.readAllBytes();
        assertThat(sealing.result().plaintextBytes()).isEqualTo(plain.length);
        assertThat(sealing.result().sha256Hex()).isEqualTo(sha256Hex(plain));
        UnsealingInputStream in = reader().open(new ByteArrayInputStream(sealed), KEY);
        assertThat(in.readAllBytes()).isEqualTo(plain);
        assertThat(in.result().plaintextBytes()).isEqualTo(plain.length);
        assertThat(in.result().storedBytes()).isEqualTo(sealed.length);
    }

    void assertRefused(byte[] sealed, ObjectKey key, ErrorCode expected) {
        assertThatThrownBy(() -> {
            try (InputStream in = reader().open(new ByteArrayInputStream(sealed), key)) {
                in.readAllBytes();
            }
        }).isInstanceOfSatisfying(PgwardenException.class, e -> {
            assertThat(e.errorCode()).as(e.getMessage()).isEqualTo(expected);
            assertThat(e.getMessage()).contains("'" + key + "'");
        });
    }

    SealedObjectReader reader() {
        return new SealedObjectReader(REPO, this::resolve);
    }

    SealingKey resolve(String keyId) {
        SealingKey k = keyring.get(keyId);
        if (k == null) {
            throw new PgwardenException(ErrorCode.INTEGRITY_UNKNOWN_KEY, "data key '" + keyId
                    + "' is not in the keyring (object '" + KEY + "')");
        }
        return k;
    }

    byte[] seal(Codec codec, byte[] plain, ObjectKey key) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (SealingOutputStream s = new SealedObjectWriter(REPO, codec).open(out, key, dataKey)) {
            s.write(plain);
        }
        return out.toByteArray();
    }

    static byte[] flip(byte[] b, int bit) {
        byte[] c = b.clone();
        c[bit / 8] ^= (byte) (1 << (bit % 8));
        return c;
    }

    static SealingKey givenKey(String id, int seed) {
        byte[] k = new byte[32];
        new Random(seed).nextBytes(k);
        return new SealingKey(id, k);
    }

    static byte[] givenPlaintext(int size) {
        byte[] b = new byte[size];
        Random r = new Random(size);
        for (int i = 0; i < size; i++) {
            b[i] = (byte) (i % 64 < 32 ? '0' + r.nextInt(10) : r.nextInt());
        }
        return b;
    }

    static String sha256Hex(byte[] b) {
        try {
            return java.util.HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
