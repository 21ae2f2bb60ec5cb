package org.pgwarden.crypto;

/**
 * Where the object reader finds the data key an object header names: the repository keyring.
 * Implementations fail with {@code INTEGRITY_UNKNOWN_KEY} when the id is not in the keyring,
 * {@code INTEGRITY_WRONG_KEY} when the master key cannot unwrap it, or a {@code KEY_*} code when
 * the key service refuses or is unreachable.
 */
@FunctionalInterface
public interface DataKeySource {
    SealingKey resolve(String keyId);
}
