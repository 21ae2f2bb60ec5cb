package org.pgwarden.crypto;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.zip.CRC32C;
import org.pgwarden.codec.Codec;
import org.pgwarden.common.ErrorCode;
import org.pgwarden.common.PgwardenException;
import org.pgwarden.storage.ObjectKey;

/**
 * The fixed-size header in front of every sealed object (format version 1). A fixed size means a
 * short read is always truncation and a damaged length can never make the reader skip or
 * over-read; the CRC-32C names a damaged header before any key is fetched. The header is also
 * part of the associated data, so a header forged with a matching CRC still fails authentication.
 */
public record ObjectHeader(int aeadId, int codecId, String keyId, String repositoryId, byte[] keyCheck) {

    public ObjectHeader {
        requireId("key id", keyId);
        requireId("repository id", repositoryId);
        if (keyCheck.length != ObjectFormat.KEY_CHECK_BYTES) {
            throw new IllegalArgumentException("key check must be " + ObjectFormat.KEY_CHECK_BYTES + " bytes");
        }
        keyCheck = keyCheck.clone();
    }

    static void requireId(String what, String id) {
        int n = id == null ? 0 : id.getBytes(StandardCharsets.UTF_8).length;
        if (n < 1 || n > ObjectFormat.MAX_ID_BYTES || id.indexOf('\0') >= 0) {
            throw new IllegalArgumentException(what + " '" + id + "' must be 1.." + ObjectFormat.MAX_ID_BYTES
                    + " bytes of UTF-8 without NUL");
        }
    }

    @Override
    public byte[] keyCheck() {
        return keyCheck.clone();
    }

    boolean keyCheckMatches(byte[] expected) {
        return MessageDigest.isEqual(keyCheck, expected);
    }

    /** The header's bytes, exactly {@link ObjectFormat#HEADER_BYTES} long. */
    public byte[] encode() {
        byte[] kid = keyId.getBytes(StandardCharsets.UTF_8);
        byte[] rid = repositoryId.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(ObjectFormat.HEADER_BYTES);
        b.put(ObjectFormat.MAGIC)
                .put((byte) ObjectFormat.VERSION)
                .put((byte) aeadId)
                .put((byte) codecId)
                .put((byte) 0)
                .put((byte) kid.length)
                .put((byte) rid.length)
                .put(Arrays.copyOf(kid, ObjectFormat.MAX_ID_BYTES))
                .put(Arrays.copyOf(rid, ObjectFormat.MAX_ID_BYTES))
                .put(keyCheck);
        b.putInt(crc(b.array(), b.position()));
        return b.array();
    }

    private static int crc(byte[] bytes, int length) {
        CRC32C c = new CRC32C();
        c.update(bytes, 0, length);
        return (int) c.getValue();
    }

    /**
     * Reads and checks the header of {@code object} (read-fully: a short read is truncation, never
     * a partial header). Returns the header and its raw bytes for the associated data.
     */
    static Parsed read(InputStream in, ObjectKey object) {
        byte[] raw = new byte[ObjectFormat.HEADER_BYTES];
        int prefix = ObjectFormat.MAGIC.length + 1;
        readFully(in, raw, 0, prefix, object);
        if (!Arrays.equals(raw, 0, ObjectFormat.MAGIC.length, ObjectFormat.MAGIC, 0, ObjectFormat.MAGIC.length)) {
            throw corrupt(object, "it does not start with the pgwarden object magic");
        }
        int version = raw[ObjectFormat.MAGIC.length] & 0xff;
        if (version != ObjectFormat.VERSION) {
            throw new PgwardenException(ErrorCode.INTEGRITY_HEADER, "object '" + object
                    + "' has unsupported format version " + version + " (this pgwarden reads version "
                    + ObjectFormat.VERSION + ")",
                    "a newer pgwarden may have written it; upgrade, or check the object for damage", null);
        }
        readFully(in, raw, prefix, raw.length - prefix, object);
        ByteBuffer b = ByteBuffer.wrap(raw);
        int crcAt = raw.length - 4;
        if (b.getInt(crcAt) != crc(raw, crcAt)) {
            throw corrupt(object, "its header checksum does not match");
        }
        b.position(prefix);
        int aead = b.get() & 0xff;
        int codec = b.get() & 0xff;
        int flags = b.get() & 0xff;
        int kidLen = b.get() & 0xff;
        int ridLen = b.get() & 0xff;
        if (flags != 0) {
            throw corrupt(object, "unknown header flags " + flags);
        }
        String keyId = idField(b, kidLen, "key id", object);
        String repositoryId = idField(b, ridLen, "repository id", object);
        byte[] check = new byte[ObjectFormat.KEY_CHECK_BYTES];
        b.get(check);
        if (aead != ObjectFormat.AEAD_AES256_GCM_HKDF_64KB) {
            throw corrupt(object, "unknown encryption algorithm id " + aead);
        }
        if (codec != Codec.ID_NONE && codec != Codec.ID_ZSTD) {
            throw corrupt(object, "unknown compression codec id " + codec);
        }
        try {
            return new Parsed(new ObjectHeader(aead, codec, keyId, repositoryId, check), raw);
        } catch (IllegalArgumentException e) {
            // Only a forged header (its CRC matches) gets here, e.g. with ids that are not valid UTF-8.
            throw corrupt(object, e.getMessage());
        }
    }

    private static String idField(ByteBuffer b, int len, String what, ObjectKey object) {
        byte[] field = new byte[ObjectFormat.MAX_ID_BYTES];
        b.get(field);
        if (len < 1 || len > field.length) {
            throw corrupt(object, what + " length " + len + " outside 1.." + field.length);
        }
        for (int i = 0; i < field.length; i++) {
            if ((i < len) == (field[i] == 0)) {
                throw corrupt(object, what + " field is not " + len + " bytes followed by zero padding");
            }
        }
        try {
            // Strict decoding: a malformed id is a damaged header, not a different id.
            return StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(field, 0, len)).toString();
        } catch (CharacterCodingException e) {
            throw corrupt(object, what + " is not valid UTF-8");
        }
    }

    private static void readFully(InputStream in, byte[] buf, int off, int len, ObjectKey object) {
        int done = 0;
        try {
            while (done < len) {
                int n = in.read(buf, off + done, len - done);
                if (n < 0) {
                    throw new PgwardenException(ErrorCode.INTEGRITY_TRUNCATED, "object '" + object
                            + "' is truncated: it ends after " + (off + done) + " bytes, inside its "
                            + ObjectFormat.HEADER_BYTES + "-byte header");
                }
                done += n;
            }
        } catch (IOException e) {
            throw new PgwardenException(ErrorCode.REPO_IO, "unable to read object '" + object + "'", e);
        }
    }

    private static PgwardenException corrupt(ObjectKey object, String why) {
        return new PgwardenException(ErrorCode.INTEGRITY_HEADER, "header of object '" + object + "' is corrupt: " + why);
    }

    /** A parsed header with the exact bytes it was read from. */
    record Parsed(ObjectHeader header, byte[] raw) {
    }

    @Override
    public String toString() {
        return "ObjectHeader[aead=" + aeadId + ", codec=" + codecId + ", keyId=" + keyId
                + ", repositoryId=" + repositoryId + "]";
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ObjectHeader h && h.aeadId == aeadId && h.codecId == codecId && h.keyId.equals(keyId)
                && h.repositoryId.equals(repositoryId) && Arrays.equals(h.keyCheck, keyCheck);
    }

    @Override
    public int hashCode() {
        return keyId.hashCode() * 31 + repositoryId.hashCode();
    }
}
