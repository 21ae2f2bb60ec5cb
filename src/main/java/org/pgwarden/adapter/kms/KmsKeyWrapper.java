package org.pgwarden.adapter.kms;

import java.time.Duration;
import java.util.Objects;
import org.pgwarden.common.ErrorCode;
import org.pgwarden.common.PgwardenException;
import org.pgwarden.common.Retrier;
import org.pgwarden.common.RetryPolicy;
import org.pgwarden.config.EncryptionConfig;
import org.pgwarden.crypto.DataKey;
import org.pgwarden.crypto.KeyWrapper;
import org.pgwarden.metrics.MeterNames;
import org.pgwarden.metrics.Metrics;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.core.client.config.ClientOverrideConfiguration;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.kms.KmsClient;
import software.amazon.awssdk.services.kms.KmsClientBuilder;
import software.amazon.awssdk.services.kms.model.DataKeySpec;
import software.amazon.awssdk.services.kms.model.GenerateDataKeyResponse;

/**
 * A master key in AWS KMS: data keys come from {@code GenerateDataKey}, are opened with
 * {@code Decrypt} (naming the key, so a blob of another key is refused) and moved to another KMS
 * key with {@code ReEncrypt}, which never exposes them in clear. The SDK's own retries are off:
 * failures are translated by {@link KmsErrors} and retried by our {@link Retrier} only, so every
 * attempt is counted and the bound is the configured one.
 */
public final class KmsKeyWrapper implements KeyWrapper {
    private static final Logger LOG = LoggerFactory.getLogger(KmsKeyWrapper.class);
    private static final int DATA_KEY_BYTES = 32;

    private final KmsClient client;
    private final String keyId;
    private final String location;
    private final Retrier retrier;
    private final boolean ownsClient;

    /**
     * @param location region and endpoint of {@code client}; {@code ReEncrypt} is used only between
     *                 wrappers of the same location, other targets get unwrap-then-wrap
     */
    public KmsKeyWrapper(KmsClient client, String keyId, String location, Retrier retrier, boolean ownsClient) {
        this.client = Objects.requireNonNull(client, "client");
        this.keyId = Objects.requireNonNull(keyId, "keyId");
        this.location = location;
        this.retrier = retrier;
        this.ownsClient = ownsClient;
    }

    /** The production wiring: a client for the configured region and endpoint with SDK retries off. */
    public static KmsKeyWrapper open(EncryptionConfig.Kms config, Metrics metrics) {
        KmsClientBuilder b = KmsClient.builder()
                .region(Region.of(config.region()))
                .credentialsProvider(DefaultCredentialsProvider.builder().build())
                .overrideConfiguration(ClientOverrideConfiguration.builder()
                        .retryStrategy(AwsRetryStrategy.doNotRetry())
                        .apiCallAttemptTimeout(Duration.ofSeconds(20))
                        .build());
        config.endpoint().ifPresent(b::endpointOverride);
        String location = config.region() + config.endpoint().map(u -> "@" + u).orElse("");
        return new KmsKeyWrapper(b.build(), config.keyId(), location, retrier(config.retry(), metrics), true);
    }

    /** A retrier that logs and counts every failed attempt against the key dependency. */
    public static Retrier retrier(RetryPolicy policy, Metrics metrics) {
        return new Retrier(policy, KmsKeyWrapper.listener(metrics));
    }

    public static Retrier.Listener listener(Metrics metrics) {
        return (what, attempt, error, pause) -> {
            metrics.increment(MeterNames.DEPENDENCY_ATTEMPT_FAILURES, "dependency", "key", "code",
                    error.errorCode().id());
            if (pause.isZero()) {
                LOG.warn("attempt {} to {} failed: [{}] {}", attempt, what, error.errorCode().id(), error.getMessage());
            } else {
                LOG.warn("attempt {} to {} failed, retrying in {} ms: [{}] {}", attempt, what, pause.toMillis(),
                        error.errorCode().id(), error.getMessage());
            }
        };
    }

    @Override
    public String masterKeyId() {
        return keyId;
    }

    @Override
    public DataKey generateDataKey() {
        GenerateDataKeyResponse r = call("generate a data key", () -> client.generateDataKey(b -> b
                .keyId(keyId).keySpec(DataKeySpec.AES_256)));
        byte[] clear = r.plaintext().asByteArray();
        requireKeySize(clear, "generate a data key");
        return new DataKey(clear, r.ciphertextBlob().asByteArray(), keyId);
    }

    @Override
    public byte[] unwrap(byte[] wrapped) {
        byte[] clear = call("decrypt a data key", () -> client.decrypt(b -> b
                .keyId(keyId).ciphertextBlob(SdkBytes.fromByteArray(wrapped)))).plaintext().asByteArray();
        requireKeySize(clear, "decrypt a data key");
        return clear;
    }

    @Override
    public byte[] wrap(byte[] plaintext) {
        return call("encrypt a data key", () -> client.encrypt(b -> b
                .keyId(keyId).plaintext(SdkBytes.fromByteArray(plaintext)))).ciphertextBlob().asByteArray();
    }

    /** Inside one KMS location the key is re-wrapped by the service and never seen in clear here. */
    @Override
    public byte[] rewrap(byte[] wrapped, KeyWrapper target) {
        if (target instanceof KmsKeyWrapper k && Objects.equals(k.location, location)) {
            return call("re-encrypt a data key to '" + k.keyId + "'", () -> client.reEncrypt(b -> b
                    .sourceKeyId(keyId)
                    .destinationKeyId(k.keyId)
                    .ciphertextBlob(SdkBytes.fromByteArray(wrapped)))).ciphertextBlob().asByteArray();
        }
        return KeyWrapper.super.rewrap(wrapped, target);
    }

    private <T> T call(String what, Retrier.Operation<T> op) {
        return retrier.run(what + " with KMS key '" + keyId + "'", () -> {
            try {
                return op.run();
            } catch (SdkException e) {
                throw KmsErrors.translate(e, what, keyId);
            }
        });
    }

    private void requireKeySize(byte[] clear, String what) {
        if (clear.length != DATA_KEY_BYTES) {
            java.util.Arrays.fill(clear, (byte) 0);
            throw new PgwardenException(ErrorCode.INTEGRITY_WRONG_KEY, "unable to " + what + " with KMS key '" + keyId
                    + "': expected a " + DATA_KEY_BYTES + "-byte data key, got " + clear.length + " bytes");
        }
    }

    @Override
    public void close() {
        if (ownsClient) {
            client.close();
        }
    }

    @Override
    public String toString() {
        return "KmsKeyWrapper[" + keyId + " @ " + location + "]";
    }
}
