package org.pgwarden.testing;

import com.adobe.testing.s3mock.S3MockApplication;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.pgwarden.common.ByteSize;
import org.pgwarden.common.RetryPolicy;
import org.pgwarden.common.SecretRef;
import org.pgwarden.config.RepositoryConfig;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * The in-JVM S3 server (S3Mock), started once per test JVM on first use because it takes several
 * seconds, with its data in a temporary directory removed when the JVM exits. Each test class
 * gets fresh buckets from {@link #givenBucket}.
 */
public final class S3MockFixture {
    /** Environment variables the test configs name; the values are dummies S3Mock accepts. */
    public static final String ACCESS_KEY_VAR = "PGW_TEST_S3_ACCESS_KEY";
    public static final String SECRET_KEY_VAR = "PGW_TEST_S3_SECRET_KEY";
    /** S3's (and S3Mock's) smallest part size for every part but the last. */
    public static final int PART_SIZE = 5 * 1024 * 1024;
    /** A KMS key id S3Mock is told to accept, for SSE-KMS request tests (S3Mock compares ids, not ARNs). */
    public static final String KMS_KEY_ID = "pgwarden-test-key";

    private static final AtomicInteger BUCKETS = new AtomicInteger();
    private static S3MockApplication server;
    private static S3Client client;

    private S3MockFixture() {
    }

    public static synchronized int port() {
        if (server == null) {
            start();
        }
        return server.getHttpPort();
    }

    public static URI endpoint() {
        return URI.create("http://127.0.0.1:" + port());
    }

    public static Map<String, String> environment() {
        return Map.of(ACCESS_KEY_VAR, "pgwarden-test", SECRET_KEY_VAR, "pgwarden-test-secret");
    }

    /** A raw client straight to the server, for checks behind the store's back. */
    public static synchronized S3Client client() {
        if (client == null) {
            client = S3Client.builder().endpointOverride(endpoint()).forcePathStyle(true).region(Region.US_EAST_1)
                    .credentialsProvider(StaticCredentialsProvider.create(
                            AwsBasicCredentials.create("pgwarden-test", "pgwarden-test-secret")))
                    .build();
        }
        return client;
    }

    /** Creates a new, empty bucket named after {@code hint}. */
    public static String givenBucket(String hint) {
        return givenBucket(hint, false);
    }

    public static String givenBucket(String hint, boolean objectLock) {
        String name = (hint.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]+", "-") + "-" + BUCKETS.incrementAndGet())
                .replaceAll("^-+", "");
        client().createBucket(b -> b.bucket(name).objectLockEnabledForBucket(objectLock));
        return name;
    }

    /** A retry policy with millisecond pauses, so fault tests run fast. */
    public static RetryPolicy fastRetry(int attempts) {
        return new RetryPolicy(attempts, Duration.ofMillis(1), Duration.ofMillis(5), 2.0);
    }

    /** A repository section pointing at the server (or at {@code endpoint}, e.g. a proxy in front of it). */
    public static RepositoryConfig.S3 createConfig(URI endpoint, String bucket, String prefix) {
        return new RepositoryConfig.S3(bucket, prefix, "us-east-1", Optional.of(endpoint), true, "STANDARD",
                Optional.of(SecretRef.parse("env:" + ACCESS_KEY_VAR)), Optional.of(SecretRef.parse("env:" + SECRET_KEY_VAR)),
                ByteSize.ofBytes(PART_SIZE), 4, fastRetry(4), Optional.empty(), Optional.empty(), true);
    }

    public static RepositoryConfig.S3 createConfig(String bucket, String prefix) {
        return createConfig(endpoint(), bucket, prefix);
    }

    /**
     * Stops the server now rather than at JVM exit; for mains (the benchmark), whose JVM would
     * otherwise stay up on the server's threads. Tests leave it to the shutdown hook.
     */
    public static synchronized void stop() {
        if (client != null) {
            client.close();
            client = null;
        }
        if (server != null) {
            server.stop();
            server = null;
        }
    }

    private static void start() {
        try {
            Path root = Files.createTempDirectory("s3mock-");
            Map<String, Object> props = new HashMap<>();
            props.put(S3MockApplication.PROP_HTTP_PORT, S3MockApplication.RANDOM_PORT);
            props.put(S3MockApplication.PROP_HTTPS_PORT, S3MockApplication.RANDOM_PORT);
            props.put(S3MockApplication.PROP_SILENT, true);
            props.put("com.adobe.testing.s3mock.store.root", root.toString());
            props.put("spring.main.banner-mode", "off");
            // S3Mock's own limit would refuse parts above 10MB; the benchmark uses 16MiB parts.
            props.put("com.adobe.testing.s3mock.max-payload-size", "64MB");
            server = S3MockApplication.start(props);
            server.registerKMSKeyRef("arn:aws:kms:us-east-1:123456789012:key/" + KMS_KEY_ID);
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                stop();
                deleteTree(root);
            }, "s3mock-cleanup"));
        } catch (IOException e) {
            throw new IllegalStateException("unable to create a directory for S3Mock", e);
        }
    }

    private static void deleteTree(Path root) {
        try (Stream<Path> paths = Files.walk(root)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            System.err.println("unable to remove S3Mock directory '" + root + "': " + e);
        }
    }
}
