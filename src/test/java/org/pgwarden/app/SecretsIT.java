package org.pgwarden.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.pgwarden.adapter.process.PgBinaries;
import org.pgwarden.testing.Distribution;
import org.pgwarden.testing.KmsTestEndpoint;
import org.pgwarden.testing.PostgresFixture;
import org.pgwarden.testing.S3MockFixture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The production shape end to end — password authentication, an S3 repository with static
 * credentials, a KMS master key — through the built launcher with every logger at trace: every
 * check passes, and no secret appears in anything printed.
 */
class SecretsIT {
    private static final String PG_PASSWORD = "pg-password-7f3a91c2";
    private static final String AWS_SECRET = "aws-secret-key-5d8e0b44";
    private static PostgresFixture pg;
    private static KmsTestEndpoint kms;

    @TempDir
    Path dir;

    @BeforeAll
    static void start() throws Exception {
        pg = PostgresFixture.start(Map.of("archive_mode", "on"));
        pg.sql("CREATE ROLE pgwarden_check LOGIN SUPERUSER PASSWORD '" + PG_PASSWORD + "'");
        // Password authentication for this role over TCP; the fixture's own role stays trusted.
        Path hba = pg.cluster().dataDirectory().resolve("pg_hba.conf");
        String rest = Files.readString(hba);
        Files.writeString(hba, "host all pgwarden_check 127.0.0.1/32 scram-sha-256\n" + rest,
                StandardOpenOption.TRUNCATE_EXISTING);
        pg.sql("SELECT pg_reload_conf()");
        kms = KmsTestEndpoint.start();
    }

    @AfterAll
    static void stop() {
        pg.close();
        kms.close();
    }

    private Path config(String logFormat) throws Exception {
        String keyId = kms.createKey();
        String bucket = S3MockFixture.givenBucket("secrets");
        Path file = dir.resolve("pgwarden.yaml");
        Files.writeString(file, """
                stanza: secrets
                postgres:
                  data-directory: %s
                  bin-directory: %s
                  connection:
                    host: 127.0.0.1
                    port: %d
                    user: pgwarden_check
                    password: env:PGW_PG_PASSWORD
                    connect-timeout: 2s
                  retry:
                    max-attempts: 1
                repository:
                  type: s3
                  s3:
                    bucket: %s
                    prefix: fleet/a
                    endpoint: %s
                    path-style: true
                    credentials:
                      access-key-id: env:PGW_S3_KEY_ID
                      secret-access-key: env:PGW_S3_SECRET
                encryption:
                  provider: kms
                  kms:
                    key-id: %s
                    endpoint: %s
                logging:
                  level: trace
                  format: %s
                """.formatted(pg.cluster().dataDirectory(),
                pg.cluster().binaries().path(PgBinaries.Program.POSTGRES).getParent(), pg.cluster().port(), bucket,
                S3MockFixture.endpoint(), keyId, kms.endpoint(), logFormat));
        return file;
    }

    private Map<String, String> environment(String password) {
        Map<String, String> env = new HashMap<>();
        env.put("PGW_PG_PASSWORD", password);
        env.put("PGW_S3_KEY_ID", "pgwarden-test");
        env.put("PGW_S3_SECRET", AWS_SECRET);
        // The KMS client takes its credentials from the AWS default chain, as in production.
        env.put("AWS_ACCESS_KEY_ID", "pgwarden-test");
        env.put("AWS_SECRET_ACCESS_KEY", AWS_SECRET);
        return env;
    }

    @Test
    void checkPassesOverS3AndKmsAndPrintsNoSecretEvenAtTrace() throws Exception {
        Path config = config("json");
        try (Distribution check = Distribution.start(environment(PG_PASSWORD),
                List.of("--config", config.toString(), "check"))) {
            int code = check.waitFor(Duration.ofSeconds(90));
            String output = check.transcript();
            assertThat(code).as(output).isZero();
            assertThat(output).contains("✔ connect to PostgreSQL").contains("✔ write to the repository: s3://")
                    .contains("✔ wrap and unwrap a data key").contains("all checks passed")
                    .contains("\"level\":\"DEBUG\"");
            assertThat(output).doesNotContain(PG_PASSWORD).doesNotContain(AWS_SECRET);
        }
        try (Distribution show = Distribution.start(environment(PG_PASSWORD),
                List.of("--config", config.toString(), "config", "show"))) {
            assertThat(show.waitFor(Duration.ofSeconds(60))).isZero();
            assertThat(show.transcript()).contains("password: env:PGW_PG_PASSWORD")
                    .doesNotContain(PG_PASSWORD).doesNotContain(AWS_SECRET);
        }
    }

    @Test
    void aWrongPasswordIsAnAuthenticationErrorThatDoesNotEchoIt() throws Exception {
        String wrong = "wrong-password-2c61e0";
        Path config = config("text");
        try (Distribution check = Distribution.start(environment(wrong), List.of("--config", config.toString(), "check"))) {
            int code = check.waitFor(Duration.ofSeconds(90));
            String output = check.transcript();
            assertThat(code).as(output).isEqualTo(3);
            assertThat(output).contains("✘ connect to PostgreSQL").contains("SQLSTATE 28P01")
                    .doesNotContain(wrong).doesNotContain(AWS_SECRET);
        }
    }
}
