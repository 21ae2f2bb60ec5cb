package org.pgwarden.adapter.s3;

import java.util.Map;
import org.pgwarden.config.RepositoryConfig;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3ClientBuilder;

/** Builds the SDK client from the repository section: region, endpoint, addressing and credentials. */
final class S3ClientFactory {
    private S3ClientFactory() {
    }

    static S3Client create(RepositoryConfig.S3 config, Map<String, String> environment) {
        S3ClientBuilder b = S3Client.builder()
                .region(Region.of(config.region()))
                .credentialsProvider(credentials(config, environment))
                .forcePathStyle(config.pathStyle())
                // Retries are decided by pgwarden's Retrier, once, with every attempt counted.
                .overrideConfiguration(o -> o.retryStrategy(AwsRetryStrategy.doNotRetry()))
                // We send our own SHA-256 on every write; the SDK's default CRC32 would only add a second one.
                .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
                .responseChecksumValidation(ResponseChecksumValidation.WHEN_SUPPORTED);
        config.endpoint().ifPresent(b::endpointOverride);
        return b.build();
    }

    private static AwsCredentialsProvider credentials(RepositoryConfig.S3 config, Map<String, String> environment) {
        if (config.accessKeyId().isPresent() && config.secretAccessKey().isPresent()) {
            return StaticCredentialsProvider.create(AwsBasicCredentials.create(
                    config.accessKeyId().get().resolve(environment).reveal(),
                    config.secretAccessKey().get().resolve(environment).reveal()));
        }
        return DefaultCredentialsProvider.builder().build();
    }
}
