package org.pgwarden.pg;

import java.sql.Connection;

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

    /** Where the cluster is, for messages: {@code PostgreSQL at 'db1:5432' database 'postgres'}. */
    String describeEndpoint();

    /** Releases pooled connections; never throws a checked exception. */
    @Override
    void close();
}
