package org.pgwarden.pg;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.sql.Connection;
import java.sql.SQLException;

/**
 * The PostgreSQL cluster pgwarden looks after, as seen through SQL. Implementations translate
 * driver failures into {@link org.pgwarden.common.PgwardenException}s with a {@code PG_*} error
 * code and retry only what the code says is retriable.
 */
public interface PgCluster extends AutoCloseable {

    /** Reads version, data directory, WAL and archive settings and the system identifier. */
    PgServerInfo serverInfo();

    /**
     * Runs {@code work} on a pooled connection. When the connection fails with a retriable error
     * the whole unit is run again, so {@code work} must be idempotent or a single transaction.
     */
    <T> T withConnection(SqlWork<T> work);

    /**
     * Opens a physical connection outside the pool, for work that must stay on one server session
     * for a long time (backup mode between {@code pg_backup_start} and {@code pg_backup_stop}).
     * The caller closes it.
     */
    Connection openDedicatedConnection();

    /**
     * As {@link #openDedicatedConnection()}, to another database of the same server with the same
     * user, password and session settings: maintenance windows and audit retention work in the
     * databases they are configured for, not only the one pgwarden connects to.
     */
    Connection openDedicatedConnection(String database);

    /**
     * Runs {@code copySql} ({@code COPY ... TO STDOUT}) on {@code connection}, one this cluster
     * opened, writing what it produces into {@code out}, inside the connection's current
     * transaction. Returns the rows copied. The stream is not closed.
     */
    long copyOut(Connection connection, String copySql, OutputStream out) throws SQLException, IOException;

    /**
     * Runs {@code copySql} ({@code COPY ... FROM STDIN}) on {@code connection}, feeding it
     * {@code in} to its end, inside the connection's current transaction. Returns the rows loaded.
     */
    long copyIn(Connection connection, String copySql, InputStream in) throws SQLException, IOException;

    /**
     * Enters backup mode on a new dedicated connection (never a pooled one: backup mode belongs to
     * the server session that started it). Uses {@code pg_backup_start} on PostgreSQL 15 and later,
     * {@code pg_start_backup(..., exclusive => false)} before.
     *
     * @param label shown in {@code backup_label} and the server log
     * @param fast  {@code true} for an immediate checkpoint, {@code false} for a spread one that
     *              takes up to {@code checkpoint_timeout * checkpoint_completion_target}
     * @throws org.pgwarden.common.PgwardenException {@code PG_MISCONFIGURED} on a standby
     */
    PgBackupSession beginBackup(String label, boolean fast);

    /** Forces a switch to the next WAL segment ({@code pg_switch_wal()}); returns the end of the old one. */
    Lsn switchWal();

    /** The current WAL write position of a primary ({@code pg_current_wal_lsn()}). */
    Lsn currentLsn();

    /** The cluster's WAL segment size in bytes, fixed at initdb (16 MiB by default). */
    int walSegmentSize();

    /** The cluster's page size in bytes, fixed at compile time (8 KiB by default). */
    int blockSize();

    /** Where the cluster is, for messages: {@code PostgreSQL at 'db1:5432' database 'postgres'}. */
    String describeEndpoint();

    /** Releases pooled connections; never throws a checked exception. */
    @Override
    void close();
}
