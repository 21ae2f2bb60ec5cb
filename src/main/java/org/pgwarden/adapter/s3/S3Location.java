package org.pgwarden.adapter.s3;

import java.util.Optional;
import org.pgwarden.storage.ObjectKey;

/** A bucket and the key prefix the repository lives under; maps repository keys to S3 keys and back. */
record S3Location(String bucket, String prefix) {

    String s3Key(ObjectKey key) {
        return prefix.isEmpty() ? key.value() : prefix + "/" + key.value();
    }

    /** The S3 prefix for a plain string prefix of repository keys (which may be empty). */
    String s3Prefix(String keyPrefix) {
        return prefix.isEmpty() ? keyPrefix : prefix + "/" + keyPrefix;
    }

    /** The repository key of an S3 key under the prefix; empty for keys pgwarden could not have written. */
    Optional<ObjectKey> keyOf(String s3Key) {
        String rest = prefix.isEmpty() ? s3Key : s3Key.substring(prefix.length() + 1);
        try {
            return Optional.of(new ObjectKey(rest));
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    String uri(ObjectKey key) {
        return "s3://" + bucket + "/" + s3Key(key);
    }

    String uri(String keyPrefix) {
        return "s3://" + bucket + "/" + s3Prefix(keyPrefix);
    }

    String describe() {
        return "s3://" + bucket + (prefix.isEmpty() ? "" : "/" + prefix);
    }
}
