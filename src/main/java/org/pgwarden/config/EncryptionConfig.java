package org.pgwarden.config;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import org.pgwarden.common.RetryPolicy;

/**
 * Where the master key lives. There is deliberately no "none": every object in the repository is
 * encrypted.
 */
public sealed interface EncryptionConfig {

    enum Provider { LOCAL, KMS }

    /** Duration an unwrapped data key stays in memory before it is asked for again. */
    Duration keyCacheTtl();

    /** A local file holding exactly 32 random bytes, readable by the daemon's user only. */
    record Local(Path keyFile, Duration keyCacheTtl) implements EncryptionConfig {
    }

    /** An AWS KMS key (id, ARN or alias) wrapping the data keys. */
    record Kms(String keyId, String region, Optional<URI> endpoint, RetryPolicy retry, Duration keyCacheTtl)
            implements EncryptionConfig {
    }

    static EncryptionConfig bind(ConfigNode n) {
        Provider provider = n.choice("provider", null, Provider.class);
        if (provider == null && !n.has("provider")) {
            n.problem("provider", "must not be empty (one of " + ConfigNode.choices(Provider.class)
                    + "); encryption cannot be turned off");
        }
        n.allow("local", "kms");
        Duration ttl = n.duration("key-cache-ttl", Duration.ofMinutes(15), Duration.ZERO);
        EncryptionConfig result = null;
        if (provider == Provider.LOCAL) {
            ConfigNode l = n.section("local");
            result = new Local(l.path("key-file", null, true), ttl);
            l.done();
            if (n.has("kms")) {
                n.problem("kms", "not used when encryption.provider is 'local'; remove it");
            }
        } else if (provider == Provider.KMS) {
            ConfigNode k = n.section("kms");
            String keyId = k.requiredString("key-id");
            String region = k.string("region", "us-east-1");
            Optional<URI> endpoint = k.uri("endpoint");
            RetryPolicy retry = PostgresConfig.bindRetry(k.section("retry"));
            k.done();
            result = new Kms(keyId, region, endpoint, retry, ttl);
            if (n.has("local")) {
                n.problem("local", "not used when encryption.provider is 'kms'; remove it");
            }
        }
        n.done();
        return result;
    }
}
