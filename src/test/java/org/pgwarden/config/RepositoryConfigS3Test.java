package org.pgwarden.config;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class RepositoryConfigS3Test {
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

    private final ConfigProblems problems = new ConfigProblems();

    private RepositoryConfig bind(String yaml) throws Exception {
        return RepositoryConfig.bind(new ConfigNode("repository", YAML.readTree(yaml), problems, ConfigNode.newTree(),
                e -> Optional.empty()));
    }

    @Test
    void s3WriteOptionsDefaultToOffAndConditionalCreateToOn() throws Exception {
        RepositoryConfig.S3 s3 = (RepositoryConfig.S3) bind("type: s3\ns3: {bucket: b}\n");

        assertThat(problems.list()).isEmpty();
        assertThat(s3.sseKmsKeyId()).isEmpty();
        assertThat(s3.objectLock()).isEmpty();
        assertThat(s3.conditionalCreate()).isTrue();
    }

    @Test
    void s3WriteOptionsAreBound() throws Exception {
        RepositoryConfig.S3 s3 = (RepositoryConfig.S3) bind("""
                type: s3
                s3:
                  bucket: b
                  sse-kms-key-id: alias/pgwarden
                  conditional-create: false
                  object-lock: {mode: compliance, days: 30}
                """);

        assertThat(problems.list()).isEmpty();
        assertThat(s3.sseKmsKeyId()).contains("alias/pgwarden");
        assertThat(s3.conditionalCreate()).isFalse();
        assertThat(s3.objectLock()).contains(new RepositoryConfig.ObjectLock(RepositoryConfig.LockMode.COMPLIANCE, 30));
    }

    @Test
    void anIncompleteObjectLockIsReportedWithItsPath() throws Exception {
        bind("type: s3\ns3: {bucket: b, object-lock: {mode: forever, dayz: 3}}\n");

        List<String> all = problems.list();
        assertThat(all).anyMatch(p -> p.startsWith("repository.s3.object-lock.mode") && p.contains("'forever'"));
        assertThat(all).anyMatch(p -> p.startsWith("repository.s3.object-lock.days"));
        assertThat(all).anyMatch(p -> p.startsWith("repository.s3.object-lock.dayz") && p.contains("did you mean 'days'"));
    }
}
