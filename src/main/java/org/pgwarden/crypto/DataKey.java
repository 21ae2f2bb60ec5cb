package org.pgwarden.crypto;

import java.util.Arrays;

/** A data key in clear (kept in memory only) and as wrapped by the master key (stored). */
public record DataKey(byte[] plaintext, byte[] wrapped, String masterKeyId) {

    /** Overwrites the clear key once it is no longer needed. */
    public void destroy() {
        Arrays.fill(plaintext, (byte) 0);
    }

    @Override
    public String toString() {
        return "DataKey[masterKeyId=" + masterKeyId + ", plaintext=******]";
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof DataKey d && Arrays.equals(wrapped, d.wrapped) && masterKeyId.equals(d.masterKeyId);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(wrapped);
    }
}
