package org.pgwarden.crypto;

import java.util.Arrays;
import java.util.Objects;

/**
 * A data key in clear together with its keyring id, as handed to the object writer and reader.
 * The id is written into object headers; the bytes never leave memory.
 */
public final class SealingKey {
    private final String keyId;
    private final byte[] secret;

    /** Copies {@code secret}, which must be 32 bytes; the caller may destroy its own copy. */
    public SealingKey(String keyId, byte[] secret) {
        this.keyId = Objects.requireNonNull(keyId, "keyId");
        if (secret == null || secret.length != ObjectFormat.DATA_KEY_BYTES) {
            throw new IllegalArgumentException("data key '" + keyId + "' must be "
                    + ObjectFormat.DATA_KEY_BYTES + " bytes");
        }
        this.secret = secret.clone();
    }

    public String keyId() {
        return keyId;
    }

    /** The clear key; only the crypto package hands it to Tink. */
    byte[] secret() {
        return secret;
    }

    /** A copy of the clear key, for callers that wrap it under another master key. */
    public byte[] copySecret() {
        return secret.clone();
    }

    /** Overwrites the clear key; the instance is unusable afterwards. */
    public void destroy() {
        Arrays.fill(secret, (byte) 0);
    }

    @Override
    public String toString() {
        return "SealingKey[keyId=" + keyId + ", secret=******]";
    }
}
