package org.pgwarden.adapter.s3;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.pgwarden.metrics.Metrics;
import org.pgwarden.storage.ObjectInfo;
import org.pgwarden.storage.ObjectStore;
import org.pgwarden.storage.ObjectStoreContract;
import org.pgwarden.testing.S3MockFixture;

/** The contract against S3Mock, with small list pages and delete batches so tests cross their boundaries. */
class S3ObjectStoreIT extends ObjectStoreContract {
    static String bucket;
    static S3ObjectStore store;

    @BeforeAll
    static void openStore() {
        bucket = S3MockFixture.givenBucket("contract");
        store = S3ObjectStore.open(S3MockFixture.createConfig(bucket, "repo/main"), S3MockFixture.environment(),
                Metrics.noop(), new S3ObjectStore.Tuning(7, 5));
    }

    @AfterAll
    static void closeStore() {
        store.close();
    }

    @Override
    protected ObjectStore store() {
        return store;
    }

    /** S3Mock 5.2.0 answers 412 to a second create, but two racing creates can both succeed. */
    @Override
    protected boolean serverCreatesAtomically() {
        return false;
    }

    @Override
    protected void assertNoUnfinishedWrites() {
        assertThat(S3MockFixture.client().listMultipartUploads(b -> b.bucket(bucket)).uploads()).isEmpty();
    }

    @Test
    void objectsLiveUnderThePrefixAndStatKnowsSingleWriteChecksums() {
        byte[] data = givenBytes(1234, 1);
        ObjectInfo put = store.put(key("one"), new ByteArrayInputStream(data));

        assertThat(S3MockFixture.client().headObject(b -> b.bucket(bucket).key("repo/main/" + key("one").value()))
                .contentLength()).isEqualTo(1234);
        assertThat(store.stat(key("one"))).hasValueSatisfying(s -> assertThat(s.sha256()).isEqualTo(put.sha256()));
        assertThat(store.describe()).isEqualTo("s3://" + bucket + "/repo/main");
    }
}
