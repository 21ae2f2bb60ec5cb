package org.pgwarden.crypto;

/**
 * The master key's port: it generates data keys and unwraps them; only wrapped data keys are
 * ever stored. Implementations: a local key file, AWS KMS. Errors are {@code PgwardenException}s
 * with {@code KEY_*} codes naming the master key id, never key material.
 */
public interface KeyWrapper extends AutoCloseable {

    /** A stable, non-secret identifier of the master key (KMS key id or the key file's fingerprint). */
    String masterKeyId();

    /** A fresh 256-bit data key, in clear and wrapped by the master key. */
    DataKey generateDataKey();

    /** The clear data key inside {@code wrapped}; fails if it was wrapped by another master key. */
    byte[] unwrap(byte[] wrapped);

    @Override
    void close();
}
