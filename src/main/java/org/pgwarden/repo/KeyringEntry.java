package org.pgwarden.repo;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.Base64;
import java.util.regex.Pattern;
import org.pgwarden.storage.ObjectKey;

/**
 * One data key of the keyring as stored in {@code keyring/<keyId>.json}: only its wrapped form,
 * the master key that wrapped it, and the repository it belongs to. Nothing here is secret.
 * {@code createdAt} is an ISO-8601 UTC instant, kept as text so the file reads as written.
 */
public record KeyringEntry(
        @JsonProperty("format") int format,
        @JsonProperty("keyId") String keyId,
        @JsonProperty("repositoryId") String repositoryId,
        @JsonProperty("masterKeyId") String masterKeyId,
        @JsonProperty("wrappedKey") String wrappedKeyBase64,
        @JsonProperty("createdAt") String createdAt) {

    public static final int FORMAT = 1;
    public static final String PREFIX = "keyring/";
    /** Data key ids are object-key safe and sort by creation time. */
    static final Pattern KEY_ID = Pattern.compile("dk-[0-9]{8}T[0-9]{6}Z-[0-9a-f]{8}");

    @JsonCreator
    public KeyringEntry {
    }

    static KeyringEntry of(String keyId, String repositoryId, String masterKeyId, byte[] wrapped, String createdAt) {
        return new KeyringEntry(FORMAT, keyId, repositoryId, masterKeyId,
                Base64.getEncoder().encodeToString(wrapped), createdAt);
    }

    byte[] wrapped() {
        return Base64.getDecoder().decode(wrappedKeyBase64);
    }

    KeyringEntry rewrapped(String newMasterKeyId, byte[] newWrapped) {
        return of(keyId, repositoryId, newMasterKeyId, newWrapped, createdAt);
    }

    static ObjectKey objectKey(String keyId) {
        return new ObjectKey(PREFIX + keyId + ".json");
    }

    static boolean validKeyId(String keyId) {
        return keyId != null && KEY_ID.matcher(keyId).matches();
    }
}
