package org.pgwarden.pg;

import java.time.Instant;

/**
 * PostgreSQL's backup mode, held open on one dedicated server session from
 * {@link PgCluster#beginBackup} until {@link #end()}. The data directory is copied in between.
 *
 * <p>Closing without {@link #end()} abandons the backup: ending the server session is how a
 * non-exclusive backup is aborted, and it leaves nothing behind on the server. {@link #close()}
 * after {@link #end()} only releases the connection, so try-with-resources is always right.
 */
public interface PgBackupSession extends AutoCloseable {

    /** The redo position of the backup's checkpoint: WAL from here on is needed to restore it. */
    Lsn startLsn();

    /** The timeline the backup starts on. */
    TimelineId timeline();

    /** The server's clock when backup mode began. */
    Instant startTime();

    /**
     * Leaves backup mode without waiting for WAL archiving (the caller waits for the segments up
     * to {@link PgBackupStop#stopLsn()} itself) and returns what the restore must write back.
     *
     * @throws IllegalStateException when already ended or closed
     */
    PgBackupStop end();

    /** Whether {@link #end()} completed. */
    boolean ended();

    /** Releases the session; aborts backup mode when {@link #end()} was not called. Never throws. */
    @Override
    void close();
}
