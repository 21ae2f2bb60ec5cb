package org.pgwarden.crypto;

import java.util.HexFormat;

/**
 * What one pass over an object produced.
 *
 * @param plaintextBytes length of the plaintext
 * @param storedBytes    length of the sealed object (header, ciphertext, trailer)
 * @param sha256         SHA-256 of the plaintext, for manifests
 */
public record SealResult(long plaintextBytes, long storedBytes, byte[] sha256) {
    public SealResult {
        sha256 = sha256.clone();
    }

    @Override
    public byte[] sha256() {
        return sha256.clone();
    }

    public String sha256Hex() {
        return HexFormat.of().formatHex(sha256);
    }

    @Override
    public String toString() {
        return "SealResult[plaintextBytes=" + plaintextBytes + ", storedBytes=" + storedBytes
                + ", sha256=" + sha256Hex() + "]";
    }
}
