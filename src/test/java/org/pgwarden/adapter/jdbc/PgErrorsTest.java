package org.pgwarden.adapter.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.ConnectException;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import java.util.Optional;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;
import org.pgwarden.common.ErrorCode;
import org.pgwarden.common.PgwardenException;
import org.pgwarden.common.Secret;
import org.postgresql.util.PSQLException;
import org.postgresql.util.PSQLState;

class PgErrorsTest {
    private final PgErrors errors = new PgErrors("'localhost:5999'", "postgres", Optional.empty());

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource({
            "08001, PG_UNREACHABLE",
            "08006, PG_UNREACHABLE",
            "08P01, PG_UNREACHABLE",
            "57P01, PG_UNREACHABLE",
            "57P02, PG_UNREACHABLE",
            "57P03, PG_UNREACHABLE",
            "53300, PG_UNREACHABLE",
            "08004, PG_AUTH_FAILED",
            "28000, PG_AUTH_FAILED",
            "28P01, PG_AUTH_FAILED",
            "3D000, PG_DATABASE_MISSING",
            "42P01, PG_QUERY_FAILED",
            "42501, PG_QUERY_FAILED",
            "57014, PG_QUERY_FAILED",
            "XX000, PG_QUERY_FAILED",
            "53100, PG_QUERY_FAILED",
            "abc, PG_QUERY_FAILED",
    })
    void mapsSqlStateToErrorCode(String sqlState, ErrorCode expected) {
        assertThat(PgErrors.classify(sqlState)).isEqualTo(expected);
    }

    @Test
    void missingSqlStateIsAQueryFailure() {
        assertThat(PgErrors.classify(null)).isEqualTo(ErrorCode.PG_QUERY_FAILED);
    }

    @Test
    void onlyUnreachableIsRetriable() {
        assertThat(ErrorCode.PG_UNREACHABLE.retriable()).isTrue();
        assertThat(ErrorCode.PG_AUTH_FAILED.retriable()).isFalse();
        assertThat(ErrorCode.PG_DATABASE_MISSING.retriable()).isFalse();
        assertThat(ErrorCode.PG_QUERY_FAILED.retriable()).isFalse();
    }

    @Test
    void refusedConnectionNamesEndpointDatabaseAndState() {
        PSQLException refused = new PSQLException("Connection to localhost:5999 refused. Check that the hostname and"
                + " port are correct", PSQLState.CONNECTION_UNABLE_TO_CONNECT, new ConnectException("Connection refused"));

        PgwardenException e = errors.connectFailed(refused);

        assertThat(e.errorCode()).isEqualTo(ErrorCode.PG_UNREACHABLE);
        assertThat(e.getMessage()).isEqualTo("unable to connect to PostgreSQL at 'localhost:5999' database 'postgres'"
                + " (SQLSTATE 08001): connection refused");
        assertThat(e.hint()).get().asString().contains("running");
        assertThat(e.getCause()).isSameAs(refused);
    }

    @Test
    void poolTimeoutUsesTheDriversStateBehindIt() {
        SQLException driver = new SQLException("FATAL: database \"nope\" does not exist", "3D000");
        SQLTransientConnectionException pool = new SQLTransientConnectionException(
                "pgwarden-postgres - Connection is not available, request timed out after 500ms", "08001", driver);
        PgErrors onNope = new PgErrors("'db1:5432'", "nope", Optional.empty());

        PgwardenException e = onNope.connectFailed(pool);

        assertThat(e.errorCode()).isEqualTo(ErrorCode.PG_DATABASE_MISSING);
        assertThat(e.getMessage()).isEqualTo("database 'nope' does not exist on PostgreSQL at 'db1:5432'"
                + " (SQLSTATE 3D000): FATAL: database \"nope\" does not exist");
    }

    @Test
    void poolTimeoutWithoutCauseKeepsItsOwnState() {
        SQLTransientConnectionException pool = new SQLTransientConnectionException(
                "pgwarden-postgres - Connection is not available, request timed out after 500ms", "08001");

        PgwardenException e = errors.connectFailed(pool);

        assertThat(e.errorCode()).isEqualTo(ErrorCode.PG_UNREACHABLE);
        assertThat(e.getMessage()).contains("SQLSTATE 08001").contains("request timed out after 500ms");
    }

    @Test
    void authenticationFailureIsPermanentAndNamesTheServer() {
        PgErrors viaSocket = new PgErrors("socket '/run/postgresql/.s.PGSQL.5433'", "app", Optional.empty());
        PgwardenException e = viaSocket.connectFailed(new PSQLException(
                "FATAL: password authentication failed for user \"backup\"", PSQLState.INVALID_PASSWORD));

        assertThat(e.errorCode()).isEqualTo(ErrorCode.PG_AUTH_FAILED);
        assertThat(e.getMessage())
                .startsWith("unable to connect to PostgreSQL at socket '/run/postgresql/.s.PGSQL.5433' database 'app'")
                .contains("(SQLSTATE 28P01)");
        assertThat(e.hint()).get().asString().contains("pg_hba.conf");
    }

    @Test
    void queryFailureNamesTheStateAndTheServersFirstLine() {
        PgwardenException e = errors.queryFailed(new PSQLException(
                "ERROR: relation \"missing\" does not exist\n  Position: 15", PSQLState.UNDEFINED_TABLE));

        assertThat(e.errorCode()).isEqualTo(ErrorCode.PG_QUERY_FAILED);
        assertThat(e.getMessage()).isEqualTo("query failed on PostgreSQL at 'localhost:5999' database 'postgres'"
                + " (SQLSTATE 42P01): ERROR: relation \"missing\" does not exist");
        assertThat(e.hint()).isEmpty();
    }

    @Test
    void connectionLostDuringAQueryIsRetriable() {
        PgwardenException e = errors.queryFailed(new PSQLException("An I/O error occurred while sending to the backend.",
                PSQLState.CONNECTION_FAILURE, new java.io.EOFException()));

        assertThat(e.errorCode()).isEqualTo(ErrorCode.PG_UNREACHABLE);
        assertThat(e.getMessage()).startsWith("lost the connection to PostgreSQL at 'localhost:5999' database 'postgres'")
                .contains("SQLSTATE 08006");
    }

    @Test
    void unknownStateIsPrintedAsUnknown() {
        PgwardenException e = errors.queryFailed(new SQLException("This statement has been closed."));

        assertThat(e.errorCode()).isEqualTo(ErrorCode.PG_QUERY_FAILED);
        assertThat(e.getMessage()).contains("(SQLSTATE unknown): This statement has been closed.");
    }

    @Test
    void neverRepeatsThePassword() {
        PgErrors withPassword = new PgErrors("'db1:5432'", "postgres", Optional.of(new Secret("s3cr3t-pw")));
        PgwardenException e = withPassword.connectFailed(new PSQLException(
                "FATAL: role \"s3cr3t-pw\" does not exist", PSQLState.INVALID_AUTHORIZATION_SPECIFICATION));

        assertThat(e.getMessage()).doesNotContain("s3cr3t-pw").contains(Secret.MASK);
        assertThat(e.describe()).doesNotContain("s3cr3t-pw");
    }
}
