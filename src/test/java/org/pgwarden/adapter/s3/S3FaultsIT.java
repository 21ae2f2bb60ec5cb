package org.pgwarden.adapter.s3;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.pgwarden.testing.FaultInjectingProxy.Fault.ACCESS_DENIED_403;
import static org.pgwarden.testing.FaultInjectingProxy.Fault.INTERNAL_ERROR_500;
import static org.pgwarden.testing.FaultInjectingProxy.Fault.RESET_MID_BODY;
import static org.pgwarden.testing.FaultInjectingProxy.Fault.SLOW_DOWN_503;
import static org.pgwarden.testing.FaultInjectingProxy.method;
import static org.pgwarden.testing.FaultInjectingProxy.targetContains;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.pgwarden.common.ByteSize;
import org.pgwarden.common.ErrorCode;
import org.pgwarden.common.PgwardenException;
import org.pgwarden.config.RepositoryConfig;
import org.pgwarden.metrics.MeterNames;
import org.pgwarden.storage.ObjectKey;
import org.pgwarden.testing.CountingMetrics;
import org.pgwarden.testing.FaultInjectingProxy;
import org.pgwarden.testing.FaultInjectingProxy.Request;
import org.pgwarden.testing.S3MockFixture;

/** The S3 store behind a proxy that fails requests on purpose: what is retried, what is not, what is left. */
class S3FaultsIT {
    private static final int PART = S3MockFixture.PART_SIZE;
    private static final int MAX_ATTEMPTS = 4;

    static String bucket;
    static FaultInjectingProxy proxy;
    CountingMetrics metrics;
    S3ObjectStore store;

    @BeforeAll
    static void startProxy() {
        bucket = S3MockFixture.givenBucket("faults", true);
        proxy = FaultInjectingProxy.start(S3MockFixture.port());
    }

    @AfterAll
    static void stopProxy() {
        proxy.close();
    }

    @BeforeEach
    void openStore() {
        metrics = new CountingMetrics();
        store = S3ObjectStore.open(S3MockFixture.createConfig(proxy.endpoint(), bucket, "faults"),
                S3MockFixture.environment(), metrics);
        proxy.reset();
    }

    @AfterEach
    void closeStore() {
        store.close();
    }

    @Test
    void slowDownAnswersAreRetriedUntilTheWriteSucceeds() throws IOException {
        proxy.inject(SLOW_DOWN_503, 3, method("PUT"));
        byte[] data = bytes(1000, 1);

        store.put(ObjectKey.of("slow", "x"), new ByteArrayInputStream(data));

        assertThat(proxy.faultsInjected()).isEqualTo(3);
        assertThat(proxy.count(method("PUT"))).isEqualTo(4);
        assertThat(failedAttempts(ErrorCode.REPO_UNREACHABLE)).isEqualTo(3);
        assertThat(readAll(store.get(ObjectKey.of("slow", "x")))).isEqualTo(data);
    }

    @Test
    void serverErrorsOnReadsAreRetried() throws IOException {
        byte[] data = bytes(5000, 2);
        store.put(ObjectKey.of("read", "x"), new ByteArrayInputStream(data));
        proxy.inject(INTERNAL_ERROR_500, 2, method("GET"));
        proxy.inject(SLOW_DOWN_503, 1, method("HEAD"));

        assertThat(readAll(store.get(ObjectKey.of("read", "x"), 100, 50))).isEqualTo(java.util.Arrays.copyOfRange(data, 100, 150));
        assertThat(store.stat(ObjectKey.of("read", "x"))).isPresent();
        assertThat(failedAttempts(ErrorCode.REPO_UNREACHABLE)).isEqualTo(3);
    }

    @Test
    void aConnectionResetInOnePartRetriesOnlyThatPart() throws IOException {
        proxy.inject(RESET_MID_BODY, 1, targetContains("partNumber=2"));
        byte[] data = bytes(3 * PART + 777, 3);

        store.put(ObjectKey.of("reset", "big"), new ByteArrayInputStream(data));

        assertThat(proxy.count(targetContains("partNumber=1&"))).isEqualTo(1);
        assertThat(proxy.count(targetContains("partNumber=2&"))).isEqualTo(2);
        assertThat(proxy.count(targetContains("partNumber=3&"))).isEqualTo(1);
        assertThat(proxy.count(targetContains("partNumber=4&"))).isEqualTo(1);
        assertThat(failedAttempts(ErrorCode.REPO_UNREACHABLE)).isEqualTo(1);
        assertThat(sha256(readAll(store.get(ObjectKey.of("reset", "big"))))).isEqualTo(sha256(data));
    }

    @Test
    void bytesCorruptedOnTheWayBackFailTheReadWithAnIntegrityError() {
        store.put(ObjectKey.of("corrupt", "x"), new ByteArrayInputStream(bytes(4000, 9)));
        proxy.inject(FaultInjectingProxy.Fault.CORRUPT_RESPONSE_BODY, 1, method("GET"));

        assertThatThrownBy(() -> readAll(store.get(ObjectKey.of("corrupt", "x"))))
                .isInstanceOfSatisfying(PgwardenException.class, e -> {
                    assertThat(e.errorCode()).isEqualTo(ErrorCode.INTEGRITY_CHECKSUM);
                    assertThat(e.getMessage()).contains("s3://" + bucket + "/faults/corrupt/x");
                });
    }

    @Test
    void accessDeniedFailsAtOnceNamingBucketKeyAndOperation() {
        proxy.inject(ACCESS_DENIED_403, 1, method("PUT"));

        assertThatThrownBy(() -> store.put(ObjectKey.of("denied", "x"), new ByteArrayInputStream(bytes(10, 4))))
                .isInstanceOfSatisfying(PgwardenException.class, e -> {
                    assertThat(e.errorCode()).isEqualTo(ErrorCode.REPO_ACCESS_DENIED);
                    assertThat(e.getMessage()).isEqualTo("unable to put 's3://" + bucket
                            + "/faults/denied/x': access denied (403 AccessDenied)");
                });
        assertThat(proxy.count(method("PUT"))).isEqualTo(1);
        assertThat(failedAttempts(ErrorCode.REPO_ACCESS_DENIED)).isEqualTo(1);
        assertThat(store.stat(ObjectKey.of("denied", "x"))).isEmpty();
    }

    @Test
    void whenAttemptsRunOutTheErrorListsEachAttempt() {
        proxy.inject(SLOW_DOWN_503, 100, method("PUT"));

        assertThatThrownBy(() -> store.put(ObjectKey.of("down", "x"), new ByteArrayInputStream(bytes(10, 5))))
                .isInstanceOfSatisfying(PgwardenException.class, e -> {
                    assertThat(e.errorCode()).isEqualTo(ErrorCode.REPO_UNREACHABLE);
                    assertThat(e.getMessage()).startsWith("unable to put 's3://" + bucket + "/faults/down/x' after "
                                    + MAX_ATTEMPTS + " attempts:")
                            .contains("attempt 4: [PGW030]").contains("(503 SlowDown)");
                });
        assertThat(proxy.count(method("PUT"))).isEqualTo(MAX_ATTEMPTS);
        assertThat(failedAttempts(ErrorCode.REPO_UNREACHABLE)).isEqualTo(MAX_ATTEMPTS);
    }

    @Test
    void aPartThatKeepsFailingAbortsTheUploadAndLeavesNothing() {
        proxy.inject(SLOW_DOWN_503, 100, targetContains("partNumber=2&"));

        assertThatThrownBy(() -> store.put(ObjectKey.of("abort", "x"), new ByteArrayInputStream(bytes(3 * PART, 6))))
                .isInstanceOfSatisfying(PgwardenException.class, e -> assertThat(e.getMessage())
                        .startsWith("unable to upload part 2 of 's3://" + bucket + "/faults/abort/x' after"));
        assertThat(proxy.count(method("DELETE").and(targetContains("uploadId=")))).isEqualTo(1);
        assertThat(S3MockFixture.client().listMultipartUploads(b -> b.bucket(bucket)).uploads()).isEmpty();
        assertThat(store.stat(ObjectKey.of("abort", "x"))).isEmpty();
    }

    @Test
    void everyWriteCarriesChecksumStorageClassEncryptionAndRetention() {
        RepositoryConfig.S3 base = S3MockFixture.createConfig(proxy.endpoint(), bucket, "shape");
        RepositoryConfig.S3 config = new RepositoryConfig.S3(base.bucket(), base.prefix(), base.region(),
                base.endpoint(), true, "STANDARD_IA", base.accessKeyId(), base.secretAccessKey(),
                ByteSize.ofBytes(PART), 2, base.retry(), Optional.of(S3MockFixture.KMS_KEY_ID),
                Optional.of(new RepositoryConfig.ObjectLock(RepositoryConfig.LockMode.GOVERNANCE, 7)), true);
        try (S3ObjectStore shaped = S3ObjectStore.open(config, S3MockFixture.environment(), metrics)) {
            assertThat(shaped.capabilities().objectLock()).isTrue();
            shaped.put(ObjectKey.of("small"), new ByteArrayInputStream(bytes(10, 7)));
            shaped.put(ObjectKey.of("large"), new ByteArrayInputStream(bytes(PART + 1, 8)));
        }

        Request single = only(method("PUT").and(r -> !r.target().contains("partNumber")));
        Request start = only(method("POST").and(targetContains("uploads")));
        for (Request r : new Request[]{single, start}) {
            assertThat(r.header("x-amz-storage-class")).isEqualTo("STANDARD_IA");
            assertThat(r.header("x-amz-server-side-encryption")).isEqualTo("aws:kms");
            assertThat(r.header("x-amz-server-side-encryption-aws-kms-key-id")).isEqualTo(S3MockFixture.KMS_KEY_ID);
            assertThat(r.header("x-amz-object-lock-mode")).isEqualTo("GOVERNANCE");
            assertThat(r.header("x-amz-object-lock-retain-until-date")).isNotBlank();
        }
        assertThat(single.header("x-amz-checksum-sha256")).isNotBlank();
        assertThat(start.header("x-amz-checksum-algorithm")).isEqualTo("SHA256");
        assertThat(proxy.requests().stream().filter(r -> r.target().contains("partNumber")))
                .hasSize(2).allSatisfy(r -> assertThat(r.header("x-amz-checksum-sha256")).isNotBlank());
    }

    @Test
    void listingFetchesPagesOnlyAsTheyAreConsumed() {
        try (S3ObjectStore paged = S3ObjectStore.open(S3MockFixture.createConfig(proxy.endpoint(), bucket, "paged"),
                S3MockFixture.environment(), metrics, new S3ObjectStore.Tuning(5, 5))) {
            for (int i = 0; i < 23; i++) {
                paged.put(ObjectKey.of("k", String.format("%02d", i)), new ByteArrayInputStream(new byte[]{(byte) i}));
            }
            proxy.reset();
            java.util.function.Predicate<Request> listing = method("GET").and(targetContains("list-type=2"));

            try (var s = paged.list("k/")) {
                assertThat(s.limit(3).map(i -> i.key().name()).toList()).containsExactly("00", "01", "02");
            }
            assertThat(proxy.count(listing)).isEqualTo(1);

            proxy.inject(SLOW_DOWN_503, 1, listing);
            try (var s = paged.list("k/")) {
                assertThat(s.map(i -> i.key().name()).toList()).hasSize(23).isSorted();
            }
            assertThat(proxy.count(listing)).isEqualTo(1 + 1 + 5);
        }
    }

    private Request only(java.util.function.Predicate<Request> which) {
        assertThat(proxy.count(which)).isEqualTo(1);
        return proxy.requests().stream().filter(which).findFirst().orElseThrow();
    }

    private double failedAttempts(ErrorCode code) {
        return metrics.counter(MeterNames.DEPENDENCY_ATTEMPT_FAILURES, "dependency", "repository", "code", code.id());
    }

    private static byte[] bytes(int size, long seed) {
        byte[] b = new byte[size];
        new Random(seed).nextBytes(b);
        return b;
    }

    private static byte[] readAll(InputStream in) throws IOException {
        try (in) {
            return in.readAllBytes();
        }
    }

    private static String sha256(byte[] data) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
