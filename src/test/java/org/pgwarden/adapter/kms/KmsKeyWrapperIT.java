package org.pgwarden.adapter.kms;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.pgwarden.common.ErrorCode;
import org.pgwarden.common.PgwardenException;
import org.pgwarden.common.Retrier;
import org.pgwarden.common.RetryPolicy;
import org.pgwarden.config.EncryptionConfig;
import org.pgwarden.crypto.DataKey;
import org.pgwarden.metrics.MeterNames;
import org.pgwarden.testing.KmsTestEndpoint;
import org.pgwarden.testing.RecordingMetrics;
import software.amazon.awssdk.services.kms.KmsClient;

class KmsKeyWrapperIT {
    static final KmsTestEndpoint KMS = KmsTestEndpoint.start();
    static final KmsClient CLIENT = KMS.client();
    static final RetryPolicy RETRY = new RetryPolicy(4, Duration.ofMillis(1), Duration.ofMillis(5), 2.0);

    final RecordingMetrics metrics = new RecordingMetrics();
    String keyId;

    @BeforeEach
    void givenKey() {
        keyId = KMS.createKey();
        KMS.resetCounters();
    }

    @AfterAll
    static void stop() {
        CLIENT.close();
        KMS.close();
    }

    @Test
    void generatesAndUnwrapsDataKeys() {
        try (KmsKeyWrapper w = wrapper(keyId)) {
            DataKey dk = w.generateDataKey();
            assertThat(dk.plaintext()).hasSize(32);
            assertThat(dk.masterKeyId()).isEqualTo(keyId);
            assertThat(w.unwrap(dk.wrapped())).isEqualTo(dk.plaintext());
            assertThat(w.unwrap(w.wrap(dk.plaintext()))).isEqualTo(dk.plaintext());
            assertThat(KMS.calls("GenerateDataKey")).isEqualTo(1);
            assertThat(KMS.calls("Decrypt")).isEqualTo(2);
        }
    }

    @Test
    void worksThroughAnAlias() {
        KMS.createAlias("alias/pgwarden-test-" + keyId, keyId);
        try (KmsKeyWrapper w = wrapper("alias/pgwarden-test-" + keyId)) {
            DataKey dk = w.generateDataKey();
            assertThat(w.unwrap(dk.wrapped())).isEqualTo(dk.plaintext());
        }
    }

    @Test
    void accessDeniedIsPermanentAfterOneAttemptAndNamesTheKey() {
        KMS.denyAccess(keyId);
        try (KmsKeyWrapper w = wrapper(keyId)) {
            assertThatThrownBy(w::generateDataKey).isInstanceOfSatisfying(PgwardenException.class, e -> {
                assertThat(e.errorCode()).isEqualTo(ErrorCode.KEY_ACCESS_DENIED);
                assertThat(e.errorCode().retriable()).isFalse();
                assertThat(e.getMessage()).contains("'" + keyId + "'", "AccessDeniedException");
                assertThat(e.hint()).hasValueSatisfying(h -> assertThat(h).contains("kms:Decrypt"));
            });
        }
        assertThat(KMS.calls("GenerateDataKey")).isEqualTo(1);
        assertThat(failures(ErrorCode.KEY_ACCESS_DENIED)).isEqualTo(1);
    }

    @Test
    void throttlingIsRetriedAndEveryAttemptCounted() {
        try (KmsKeyWrapper w = wrapper(keyId)) {
            KMS.throttleNext(2);
            DataKey dk = w.generateDataKey();
            assertThat(dk.plaintext()).hasSize(32);
        }
        assertThat(KMS.calls("GenerateDataKey")).isEqualTo(3);
        assertThat(failures(ErrorCode.KEY_UNAVAILABLE)).isEqualTo(2);
    }

    @Test
    void throttlingBeyondTheBoundFailsListingEveryAttempt() {
        try (KmsKeyWrapper w = wrapper(keyId)) {
            KMS.throttleNext(10);
            assertThatThrownBy(w::generateDataKey).isInstanceOfSatisfying(PgwardenException.class, e -> {
                assertThat(e.errorCode()).isEqualTo(ErrorCode.KEY_UNAVAILABLE);
                assertThat(e.getMessage()).contains("after 4 attempts", "ThrottlingException", "'" + keyId + "'");
            });
            KMS.throttleNext(0);
        }
        assertThat(failures(ErrorCode.KEY_UNAVAILABLE)).isEqualTo(4);
    }

    @Test
    void blobOfAnotherKeyIsAWrongKey() {
        String other = KMS.createKey();
        try (KmsKeyWrapper a = wrapper(keyId); KmsKeyWrapper b = wrapper(other)) {
            byte[] wrapped = a.generateDataKey().wrapped();
            assertThatThrownBy(() -> b.unwrap(wrapped)).isInstanceOfSatisfying(PgwardenException.class,
                    e -> assertThat(e.errorCode()).isEqualTo(ErrorCode.INTEGRITY_WRONG_KEY));
            byte[] damaged = wrapped.clone();
            damaged[damaged.length - 3] ^= 1;
            assertThatThrownBy(() -> a.unwrap(damaged)).isInstanceOfSatisfying(PgwardenException.class,
                    e -> assertThat(e.errorCode()).isEqualTo(ErrorCode.INTEGRITY_WRONG_KEY));
        }
    }

    @Test
    void missingOrDisabledKeyIsNotFound() {
        try (KmsKeyWrapper w = wrapper("no-such-key")) {
            assertThatThrownBy(w::generateDataKey).isInstanceOfSatisfying(PgwardenException.class, e -> {
                assertThat(e.errorCode()).isEqualTo(ErrorCode.KEY_NOT_FOUND);
                assertThat(e.getMessage()).contains("'no-such-key'");
            });
        }
        KMS.disable(keyId);
        try (KmsKeyWrapper w = wrapper(keyId)) {
            assertThatThrownBy(w::generateDataKey).isInstanceOfSatisfying(PgwardenException.class,
                    e -> assertThat(e.errorCode()).isEqualTo(ErrorCode.KEY_NOT_FOUND));
        }
    }

    @Test
    void unreachableServiceIsRetriedThenUnavailable() {
        KmsTestEndpoint gone = KmsTestEndpoint.start();
        KmsClient client = gone.client();
        gone.close();
        try (KmsKeyWrapper w = new KmsKeyWrapper(client, keyId, "test", retrier(), true)) {
            assertThatThrownBy(w::generateDataKey).isInstanceOfSatisfying(PgwardenException.class,
                    e -> assertThat(e.errorCode()).isEqualTo(ErrorCode.KEY_UNAVAILABLE));
        }
        assertThat(failures(ErrorCode.KEY_UNAVAILABLE)).isEqualTo(4);
    }

    @Test
    void reEncryptMovesADataKeyInsideKms() {
        String target = KMS.createKey();
        try (KmsKeyWrapper a = wrapper(keyId); KmsKeyWrapper b = wrapper(target)) {
            DataKey dk = a.generateDataKey();
            byte[] moved = a.rewrap(dk.wrapped(), b);
            assertThat(KMS.calls("ReEncrypt")).isEqualTo(1);
            KMS.deleteKey(keyId);
            assertThat(b.unwrap(moved)).isEqualTo(dk.plaintext());
        }
    }

    @Test
    void openBuildsAClientFromConfiguration() {
        System.setProperty("aws.accessKeyId", "test");
        System.setProperty("aws.secretAccessKey", "test");
        EncryptionConfig.Kms config = new EncryptionConfig.Kms(keyId, KmsTestEndpoint.REGION,
                Optional.of(KMS.endpoint()), RETRY, Duration.ofMinutes(5));
        try (KmsKeyWrapper w = KmsKeyWrapper.open(config, metrics)) {
            KMS.throttleNext(1);
            DataKey dk = w.generateDataKey();
            assertThat(w.unwrap(dk.wrapped())).isEqualTo(dk.plaintext());
        }
        // One throttled call, then success: the SDK did not retry on its own.
        assertThat(KMS.calls("GenerateDataKey")).isEqualTo(2);
    }

    KmsKeyWrapper wrapper(String id) {
        return new KmsKeyWrapper(CLIENT, id, "test", retrier(), false);
    }

    Retrier retrier() {
        return new Retrier(RETRY, KmsKeyWrapper.listener(metrics), d -> { }, () -> 0.5);
    }

    double failures(ErrorCode code) {
        return metrics.value(MeterNames.DEPENDENCY_ATTEMPT_FAILURES, "dependency", "key", "code", code.id());
    }
}
