package org.pgwarden.config;

import java.net.URI;
import java.nio.file.Path;
import java.util.Optional;
import org.pgwarden.common.ByteSize;
import org.pgwarden.common.RetryPolicy;
import org.pgwarden.common.SecretRef;

/** Where backups, WAL and archives are stored: a local directory or an S3 bucket. */
public sealed interface RepositoryConfig {

    enum Type { FILESYSTEM, S3 }

    /** A local (or mounted) directory. */
    record Filesystem(Path path) implements RepositoryConfig {
    }

    /** Object Lock retention applied to every object written: a mode and a number of days. */
    record ObjectLock(LockMode mode, int days) {
    }

    /** S3's two retention modes: governance can be lifted with a special permission, compliance cannot. */
    enum LockMode { GOVERNANCE, COMPLIANCE }

    /**
     * An S3 bucket, or an S3-compatible store through {@code endpoint} and {@code pathStyle}.
     * Credentials come from the AWS default provider chain unless both keys are given here.
     *
     * @param sseKmsKeyId       when present, every object is written with SSE-KMS under this key
     * @param objectLock        when present, every object is written with this retention
     * @param conditionalCreate the store honours {@code If-None-Match: *} on writes (AWS S3 does); when
     *                          false, create falls back to a check-then-write that can race
     */
    record S3(
            String bucket,
            String prefix,
            String region,
            Optional<URI> endpoint,
            boolean pathStyle,
            String storageClass,
            Optional<SecretRef> accessKeyId,
            Optional<SecretRef> secretAccessKey,
            ByteSize partSize,
            int maxConcurrency,
            RetryPolicy retry,
            Optional<String> sseKmsKeyId,
            Optional<ObjectLock> objectLock,
            boolean conditionalCreate) implements RepositoryConfig {
    }

    static RepositoryConfig bind(ConfigNode n) {
        Type type = n.choice("type", null, Type.class);
        if (type == null && !n.has("type")) {
            n.problem("type", "must not be empty (one of " + ConfigNode.choices(Type.class) + ")");
        }
        n.allow("filesystem", "s3");
        RepositoryConfig result = null;
        if (type == Type.FILESYSTEM) {
            ConfigNode f = n.section("filesystem");
            result = new Filesystem(f.path("path", null, true));
            f.done();
            if (n.has("s3")) {
                n.problem("s3", "not used when repository.type is 'filesystem'; remove it");
            }
        } else if (type == Type.S3) {
            ConfigNode s = n.section("s3");
            String bucket = s.requiredString("bucket");
            String prefix = s.string("prefix", "");
            if (prefix.startsWith("/") || prefix.endsWith("/")) {
                s.problem("prefix", "must not start or end with '/', got '" + prefix + "'");
            }
            String region = s.string("region", "us-east-1");
            Optional<URI> endpoint = s.uri("endpoint");
            boolean pathStyle = s.bool("path-style", false);
            String storageClass = s.string("storage-class", "STANDARD");
            if (!storageClass.matches("[A-Z_]+")) {
                s.problem("storage-class", "expected an S3 storage class such as 'STANDARD' or 'STANDARD_IA', got '"
                        + storageClass + "'");
            }
            ConfigNode creds = s.section("credentials");
            Optional<SecretRef> keyId = creds.secret("access-key-id");
            Optional<SecretRef> secret = creds.secret("secret-access-key");
            if (keyId.isPresent() != secret.isPresent()) {
                creds.problem(keyId.isPresent() ? "secret-access-key" : "access-key-id",
                        "give both access-key-id and secret-access-key, or neither to use the AWS default provider chain");
            }
            creds.done();
            ByteSize partSize = s.size("part-size", ByteSize.ofMiB(16), ByteSize.ofMiB(5), ByteSize.parse("5GiB"));
            int concurrency = s.integer("max-concurrency", 4, 1, 64);
            RetryPolicy retry = PostgresConfig.bindRetry(s.section("retry"));
            Optional<String> kmsKey = s.optionalString("sse-kms-key-id");
            Optional<ObjectLock> lock = bindObjectLock(s);
            boolean conditionalCreate = s.bool("conditional-create", true);
            s.done();
            result = new S3(bucket, prefix, region, endpoint, pathStyle, storageClass, keyId, secret, partSize,
                    concurrency, retry, kmsKey, lock, conditionalCreate);
            if (n.has("filesystem")) {
                n.problem("filesystem", "not used when repository.type is 's3'; remove it");
            }
        }
        n.done();
        return result;
    }

    /** {@code object-lock: {mode: governance|compliance, days: N}}; absent means no retention. */
    private static Optional<ObjectLock> bindObjectLock(ConfigNode s) {
        if (!s.has("object-lock")) {
            s.section("object-lock");
            return Optional.empty();
        }
        ConfigNode l = s.section("object-lock");
        LockMode mode = l.choice("mode", null, LockMode.class);
        if (mode == null && !l.has("mode")) {
            l.problem("mode", "must not be empty (one of " + ConfigNode.choices(LockMode.class) + ")");
        }
        if (!l.has("days")) {
            l.problem("days", "must not be empty (retention in days, 1 to 36500)");
        }
        int days = l.integer("days", 1, 1, 36500);
        l.done();
        return mode == null ? Optional.empty() : Optional.of(new ObjectLock(mode, days));
    }
}
