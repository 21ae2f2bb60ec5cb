package org.pgwarden.common;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SecretRefTest {
    @Test
    void resolvesEnvironmentAndFileReferences(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("pw");
        Files.writeString(f, "s3cr3t-from-file\n");
        assertThat(SecretRef.parse("env:PGPASS").resolve(Map.of("PGPASS", "s3cr3t-env")).reveal()).isEqualTo("s3cr3t-env");
        assertThat(SecretRef.parse("file:" + f).resolve(Map.of()).reveal()).isEqualTo("s3cr3t-from-file");
    }

    @Test
    void refusesLiteralSecretsWithoutEchoingThem() {
        assertThatThrownBy(() -> SecretRef.parse("hunter2-literal"))
                .hasMessageContaining("env:NAME").hasMessageNotContaining("hunter2");
        assertThatThrownBy(() -> SecretRef.parse("file:relative/path")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void missingSecretsNameTheReferenceNotAValue() {
        assertThatThrownBy(() -> SecretRef.parse("env:NOPE").resolve(Map.of()))
                .isInstanceOfSatisfying(PgwardenException.class,
                        e -> assertThat(e.errorCode()).isEqualTo(ErrorCode.SECRET_UNRESOLVED))
                .hasMessageContaining("'NOPE'");
    }

    @Test
    void resolvedValuesAreMaskedInTextAndToString() {
        Secret s = SecretRef.parse("env:TOKEN").resolve(Map.of("TOKEN", "very-secret-token-42"));
        assertThat(s.toString()).isEqualTo(Secret.MASK);
        assertThat(Secret.maskAll("password=very-secret-token-42 ok")).isEqualTo("password=****** ok");
    }
}
