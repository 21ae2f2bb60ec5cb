package org.pgwarden.adapter.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.pgwarden.common.ErrorCode;
import org.pgwarden.common.PgwardenException;
import org.pgwarden.common.SecretRef;
import org.pgwarden.config.ControlDatabaseConfig;
import org.pgwarden.job.JobOutcome;
import org.pgwarden.job.JobStatus;
import org.pgwarden.job.JobTrigger;
import org.pgwarden.testing.PostgresFixture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The job history store against a real PostgreSQL, its schema created by Flyway. */
class JdbcJobHistoryIT {
    private static PostgresFixture pg;

    @BeforeAll
    static void start() {
        pg = PostgresFixture.start();
    }

    @AfterAll
    static void stop() {
        pg.close();
    }

    private static ControlDatabaseConfig config(String database, int port) {
        return new ControlDatabaseConfig("jdbc:postgresql://127.0.0.1:" + port + "/" + database, "postgres",
                Optional.empty(), Duration.ofSeconds(2));
    }

    private static JobOutcome outcome(String id, JobStatus status, Optional<ErrorCode> code) {
        Instant t = Instant.parse("2026-11-24T02:00:00Z");
        return new JobOutcome(id, "backup-full", JobTrigger.SCHEDULE, status, t, t.plusMillis(1500), code,
                "a message with 'quotes'", 1234);
    }

    @Test
    void daemonsMigratingTogetherApplyTheSchemaOnceAndRunsRoundTrip() throws Exception {
        pg.sql("CREATE DATABASE control_a");
        ControlDatabaseConfig c = config("control_a", pg.cluster().port());
        try (JdbcJobHistory a = JdbcJobHistory.open(c, "main", Map.of());
                JdbcJobHistory b = JdbcJobHistory.open(c, "other", Map.of())) {
            CompletableFuture<Void> ma = CompletableFuture.runAsync(a::migrate);
            CompletableFuture<Void> mb = CompletableFuture.runAsync(b::migrate);
            ma.get();
            mb.get();
            try (JdbcJobHistory again = JdbcJobHistory.open(c, "main", Map.of())) {
                again.migrate();
            }
            try (java.sql.Connection conn = java.sql.DriverManager.getConnection(c.url(), "postgres", "");
                    java.sql.Statement st = conn.createStatement();
                    java.sql.ResultSet rs = st.executeQuery("SELECT count(*) FILTER (WHERE success),"
                            + " count(*) FROM pgwarden.flyway_schema_history WHERE version IS NOT NULL")) {
                assertThat(rs.next()).isTrue();
                assertThat(rs.getLong(1)).as("applied migrations").isEqualTo(1);
                assertThat(rs.getLong(2)).as("recorded migrations").isEqualTo(1);
            }
            JobOutcome ok = outcome("20261124T020000Z-0001", JobStatus.SUCCEEDED, Optional.empty());
            JobOutcome failed = outcome("20261124T020000Z-0002", JobStatus.FAILED, Optional.of(ErrorCode.PG_UNREACHABLE));
            a.save(ok);
            a.save(ok);
            a.save(failed);
            b.save(outcome("20261124T020000Z-0001", JobStatus.SKIPPED, Optional.of(ErrorCode.LOCK_HELD)));
            assertThat(a.find(ok.runId())).contains(ok);
            assertThat(a.find(failed.runId())).contains(failed);
            assertThat(a.find("nothing")).isEmpty();
            assertThat(a.recent(10)).hasSize(2);
            assertThat(b.recent(10)).singleElement().satisfies(o -> assertThat(o.status()).isEqualTo(JobStatus.SKIPPED));
        }
    }

    @Test
    void aControlDatabaseThatIsDownIsAControlDatabaseErrorWithoutThePassword() {
        ControlDatabaseConfig down = new ControlDatabaseConfig("jdbc:postgresql://127.0.0.1:1/postgres", "postgres",
                Optional.of(SecretRef.parse("env:CONTROL_PW")), Duration.ofSeconds(1));
        try (JdbcJobHistory store = JdbcJobHistory.open(down, "main", Map.of("CONTROL_PW", "pw-9f8e7d6c5b4a"))) {
            assertThatThrownBy(store::migrate).isInstanceOfSatisfying(PgwardenException.class, e -> {
                assertThat(e.errorCode()).isEqualTo(ErrorCode.CONTROL_DB_FAILED);
                assertThat(e.describe()).contains("control database 'jdbc:postgresql://127.0.0.1:1/postgres'")
                        .doesNotContain("pw-9f8e7d6c5b4a");
            });
            assertThatThrownBy(() -> store.save(outcome("x", JobStatus.SUCCEEDED, Optional.empty())))
                    .isInstanceOf(PgwardenException.class);
        }
    }
}
