package org.pgwarden.adapter.jdbc;

import java.io.IOException;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import org.pgwarden.common.ErrorCode;
import org.pgwarden.common.PgwardenException;
import org.pgwarden.common.Secret;

/**
 * Turns driver and pool failures into pgwarden errors. This is the only place that reads a
 * SQLSTATE: whether an operation is retried follows from the {@link ErrorCode} chosen here.
 *
 * <p>Messages name the endpoint, the database and the SQLSTATE so an operator can tell a network
 * problem from a permission problem without reading a stack trace. The password, when known, is
 * masked should the driver ever echo it.
 */
final class PgErrors {
    /** PgJDBC's state for "the server wants a password and none was given", a permanent problem. */
    private static final String CONNECTION_REJECTED = "08004";

    private final String endpoint;
    private final String database;
    private final Optional<Secret> password;

    /**
     * @param endpoint {@code 'host:port'} or {@code socket '/dir/.s.PGSQL.port'}, already quoted
     */
    PgErrors(String endpoint, String database, Optional<Secret> password) {
        this.endpoint = Objects.requireNonNull(endpoint);
        this.database = Objects.requireNonNull(database);
        this.password = Objects.requireNonNull(password);
    }

    /** The same translation for a connection to {@code other} on the same server. */
    PgErrors forDatabase(String other) {
        return new PgErrors(endpoint, other, password);
    }

    /** {@code PostgreSQL at 'localhost:5432' database 'postgres'}. */
    String where() {
        return "PostgreSQL at " + endpoint + " database '" + database + "'";
    }

    /** The error code a SQLSTATE stands for; {@code null} or unknown states are query failures. */
    static ErrorCode classify(String sqlState) {
        if (sqlState == null || sqlState.length() != 5) {
            return ErrorCode.PG_QUERY_FAILED;
        }
        if (sqlState.equals(CONNECTION_REJECTED)) {
            return ErrorCode.PG_AUTH_FAILED;
        }
        String sqlClass = sqlState.substring(0, 2);
        return switch (sqlClass) {
            case "08" -> ErrorCode.PG_UNREACHABLE;
            case "28" -> ErrorCode.PG_AUTH_FAILED;
            default -> switch (sqlState) {
                // admin or crash shutdown, server still starting, too many connections: all pass
                case "57P01", "57P02", "57P03", "53300" -> ErrorCode.PG_UNREACHABLE;
                case "3D000" -> ErrorCode.PG_DATABASE_MISSING;
                default -> ErrorCode.PG_QUERY_FAILED;
            };
        };
    }

    /** A failure while obtaining a connection (from the pool or directly). */
    PgwardenException connectFailed(SQLException e) {
        SQLException cause = unwrapPool(e);
        String state = cause.getSQLState();
        ErrorCode code = classify(state);
        String verb = code == ErrorCode.PG_DATABASE_MISSING
                ? "database '" + database + "' does not exist on PostgreSQL at " + endpoint
                : "unable to connect to " + where();
        return new PgwardenException(code, verb + " (SQLSTATE " + printable(state) + "): " + detail(cause),
                hint(code), e);
    }

    /** A failure while running statements on a connection that was obtained. */
    PgwardenException queryFailed(SQLException e) {
        SQLException cause = unwrapPool(e);
        String state = cause.getSQLState();
        ErrorCode code = classify(state);
        String verb = code == ErrorCode.PG_UNREACHABLE
                ? "lost the connection to " + where()
                : "query failed on " + where();
        return new PgwardenException(code, verb + " (SQLSTATE " + printable(state) + "): " + detail(cause),
                hint(code), e);
    }

    /**
     * HikariCP reports a connection it could not make as a {@link SQLTransientConnectionException}
     * whose cause is the driver's error; the driver's SQLSTATE is the one that tells why.
     */
    private static SQLException unwrapPool(SQLException e) {
        if (e instanceof SQLTransientConnectionException && e.getCause() instanceof SQLException inner) {
            return inner;
        }
        return e;
    }

    private static String printable(String state) {
        return state == null ? "unknown" : state;
    }

    /**
     * The most specific human text: the network error behind a driver error ("connection refused")
     * or the first line of the server's message.
     */
    private String detail(SQLException e) {
        Throwable deepest = e;
        while (deepest.getCause() != null && deepest.getCause() != deepest) {
            deepest = deepest.getCause();
        }
        String text;
        if (deepest instanceof IOException && deepest.getMessage() != null) {
            text = lowerFirst(deepest.getMessage());
        } else if (e.getMessage() != null) {
            text = e.getMessage().lines().findFirst().orElse("").trim();
        } else {
            text = e.getClass().getSimpleName();
        }
        return mask(text);
    }

    private String mask(String text) {
        if (password.isEmpty()) {
            return text;
        }
        String clear = password.get().reveal();
        return clear == null || clear.isEmpty() ? text : text.replace(clear, Secret.MASK);
    }

    private static String lowerFirst(String s) {
        if (s.isEmpty() || s.length() > 1 && Character.isUpperCase(s.charAt(1))) {
            return s;  // leave acronyms such as "FATAL" alone
        }
        return s.substring(0, 1).toLowerCase(Locale.ROOT) + s.substring(1);
    }

    private static String hint(ErrorCode code) {
        return switch (code) {
            case PG_UNREACHABLE -> "check that PostgreSQL is running and that 'postgres.connection' names its host,"
                    + " socket and port";
            case PG_AUTH_FAILED -> "check 'postgres.connection.user', the password reference and pg_hba.conf";
            case PG_DATABASE_MISSING -> "create the database or fix 'postgres.connection.database'";
            default -> null;
        };
    }
}
