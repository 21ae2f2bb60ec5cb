package org.pgwarden.adapter.s3;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import org.pgwarden.config.RepositoryConfig;
import software.amazon.awssdk.services.s3.model.CreateMultipartUploadRequest;
import software.amazon.awssdk.services.s3.model.ObjectLockMode;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;
import software.amazon.awssdk.services.s3.model.ServerSideEncryption;
import software.amazon.awssdk.services.s3.model.StorageClass;

/**
 * The headers every write carries when configured: storage class, SSE-KMS and Object Lock
 * retention. Applied to both write paths (single PUT and multipart) from this one place so the
 * two can never drift apart.
 */
final class WriteOptions {
    private static final String DEFAULT_STORAGE_CLASS = "STANDARD";

    private final RepositoryConfig.S3 config;
    private final Clock clock;

    WriteOptions(RepositoryConfig.S3 config, Clock clock) {
        this.config = config;
        this.clock = clock;
    }

    PutObjectRequest.Builder apply(PutObjectRequest.Builder b) {
        // STANDARD is S3's default: not sending it keeps stores that know no classes working.
        if (!DEFAULT_STORAGE_CLASS.equals(config.storageClass())) {
            b.storageClass(StorageClass.fromValue(config.storageClass()));
        }
        config.sseKmsKeyId().ifPresent(k -> b.serverSideEncryption(ServerSideEncryption.AWS_KMS).ssekmsKeyId(k));
        config.objectLock().ifPresent(l -> b.objectLockMode(ObjectLockMode.fromValue(l.mode().name()))
                .objectLockRetainUntilDate(retainUntil(l)));
        return b;
    }

    CreateMultipartUploadRequest.Builder apply(CreateMultipartUploadRequest.Builder b) {
        if (!DEFAULT_STORAGE_CLASS.equals(config.storageClass())) {
            b.storageClass(StorageClass.fromValue(config.storageClass()));
        }
        config.sseKmsKeyId().ifPresent(k -> b.serverSideEncryption(ServerSideEncryption.AWS_KMS).ssekmsKeyId(k));
        config.objectLock().ifPresent(l -> b.objectLockMode(ObjectLockMode.fromValue(l.mode().name()))
                .objectLockRetainUntilDate(retainUntil(l)));
        return b;
    }

    private Instant retainUntil(RepositoryConfig.ObjectLock lock) {
        return clock.instant().plus(Duration.ofDays(lock.days()));
    }
}
