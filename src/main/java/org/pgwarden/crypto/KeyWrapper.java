package org.pgwarden.crypto;

import java.util.Arrays;

/**
 * The master key's port: it generates data keys and unwraps them; only wrapped data keys are
 * ever stored. Implementations: a local key file, AWS KMS. Errors are {@code PgwardenException}s
 * with {@code KEY_*} codes naming the master key id, never key material; a wrapped key this
 * master key did not wrap fails with {@code INTEGRITY_WRONG_KEY}.
 */
public interface KeyWrapper extends AutoCloseable {

    /** A stable, non-secret identifier of the master key (KMS key id or the key file's fingerprint). */
    String masterKeyId();

    /** A fresh 256-bit data key, in clear and wrapped by the master key. */
    DataKey generateDataKey();

    /** The clear data key inside {@code wrapped}; fails if it was wrapped by another master key. */
    byte[] unwrap(byte[] wrapped);

    /** Wraps an existing clear data key under this master key (used when rekeying between providers). */
    byte[] wrap(byte[] plaintext);

    /**
     * Re-wraps a data key this master key wrapped so that {@code target} can unwrap it. The default
     * unwraps here and wraps there, wiping the clear copy; a provider that can re-wrap inside its
     * key service (KMS {@code ReEncrypt}) overrides it so the clear key never leaves the service.
     */
    default byte[] rewrap(byte[] wrapped, KeyWrapper target) {
        byte[] clear = unwrap(wrapped);
        try {
            return target.wrap(clear);
        } finally {
            Arrays.fill(clear, (byte) 0);
        }
    }

    @Override
    void close();
}
