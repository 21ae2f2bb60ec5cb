package org.pgwarden.adapter.s3;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.pgwarden.common.ByteSize;
import org.pgwarden.common.SecretRef;
import org.pgwarden.config.RepositoryConfig;
import org.pgwarden.metrics.Metrics;
import org.pgwarden.storage.ObjectStore;
import org.pgwarden.storage.ObjectStoreContract;
import org.pgwarden.testing.S3MockFixture;
import org.testcontainers.junit.jupiter.Container;
import org.testcontainers.junit.jupiter.Testcontainers;
import org.testcontainers.localstack.LocalStackContainer;
import org.testcontainers.utility.DockerImageName;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

/** The contract against LocalStack's S3, a second independent server; skipped where Docker is absent. */
@Testcontainers(disabledWithoutDocker = true)
class LocalStackObjectStoreIT extends ObjectStoreContract {
    private static final String BUCKET = "pgwarden-contract";

    @Container
    static final LocalStackContainer LOCALSTACK =
            new LocalStackContainer(DockerImageName.parse("localstack/localstack:4.4")).withServices("s3");

    static S3Client client;
    static S3ObjectStore store;

    @BeforeAll
    static void openStore() {
        client = S3Client.builder().endpointOverride(LOCALSTACK.getEndpoint()).forcePathStyle(true)
                .region(Region.of(LOCALSTACK.getRegion()))
                .credentialsProvider(StaticCredentialsProvider.create(
                        AwsBasicCredentials.create(LOCALSTACK.getAccessKey(), LOCALSTACK.getSecretKey())))
                .build();
        client.createBucket(b -> b.bucket(BUCKET));
        RepositoryConfig.S3 base = S3MockFixture.createConfig(LOCALSTACK.getEndpoint(), BUCKET, "repo");
        RepositoryConfig.S3 config = new RepositoryConfig.S3(BUCKET, "repo", LOCALSTACK.getRegion(), base.endpoint(),
                true, "STANDARD", Optional.of(SecretRef.parse("env:LS_KEY")), Optional.of(SecretRef.parse("env:LS_SECRET")),
                ByteSize.ofBytes(PART), 4, base.retry(), Optional.empty(), Optional.empty(), true);
        store = S3ObjectStore.open(config, Map.of("LS_KEY", LOCALSTACK.getAccessKey(), "LS_SECRET",
                LOCALSTACK.getSecretKey()), Metrics.noop(), new S3ObjectStore.Tuning(7, 5));
    }

    @AfterAll
    static void closeStore() {
        if (store != null) {
            store.close();
            client.close();
        }
    }

    @Override
    protected ObjectStore store() {
        return store;
    }

    @Override
    protected void assertNoUnfinishedWrites() {
        assertThat(client.listMultipartUploads(b -> b.bucket(BUCKET)).uploads()).isEmpty();
    }
}
