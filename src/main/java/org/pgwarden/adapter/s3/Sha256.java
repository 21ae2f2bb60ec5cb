package org.pgwarden.adapter.s3;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.HexFormat;

/** SHA-256 in the two spellings in use: hex for pgwarden, base64 for S3's checksum headers. */
final class Sha256 {
    private Sha256() {
    }

    static MessageDigest newDigest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime provides SHA-256", e);
        }
    }

    static byte[] of(byte[] buf, int off, int len) {
        MessageDigest d = newDigest();
        d.update(buf, off, len);
        return d.digest();
    }

    static String hex(byte[] digest) {
        return HexFormat.of().formatHex(digest);
    }

    static String base64(byte[] digest) {
        return Base64.getEncoder().encodeToString(digest);
    }

    /** Hex of an S3 full-object SHA-256 checksum; empty for composite ({@code ...-N}) or absent ones. */
    static java.util.Optional<String> hexOfFullObject(String base64) {
        if (base64 == null || base64.isEmpty() || base64.contains("-")) {
            return java.util.Optional.empty();
        }
        try {
            return java.util.Optional.of(hex(Base64.getDecoder().decode(base64)));
        } catch (IllegalArgumentException e) {
            return java.util.Optional.empty();
        }
    }
}
