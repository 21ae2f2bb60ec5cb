package org.pgwarden.pg;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import org.pgwarden.common.ErrorCode;
import org.pgwarden.common.PgwardenException;

/**
 * The two facts pgwarden reads from a stopped cluster's {@code global/pg_control}: which cluster it
 * is and whether it was shut down cleanly. The file starts with {@code system_identifier}
 * (uint64), {@code pg_control_version} and {@code catalog_version_no} (uint32 each), then
 * {@code state}, in the byte order of the host that wrote it (this one) in every supported major.
 *
 * @param systemIdentifier the cluster's identity, as {@code pg_control_system()} reports it
 * @param state            {@code DBState}: 1 shut down, 2 shut down in recovery, 6 in production, ...
 */
public record PgControlFile(long systemIdentifier, int state) {
    private static final int SHUTDOWNED = 1;
    private static final int SHUTDOWNED_IN_RECOVERY = 2;

    /** Reads {@code pgdata}'s control file; {@code PG_DATA_UNREADABLE} when there is none. */
    public static PgControlFile read(Path pgdata) {
        Path file = pgdata.resolve(PgDataLayout.CONTROL_FILE);
        byte[] head;
        try (InputStream in = Files.newInputStream(file)) {
            head = in.readNBytes(20);
        } catch (NoSuchFileException e) {
            throw new PgwardenException(ErrorCode.PG_DATA_UNREADABLE, "'" + pgdata + "' is not a PostgreSQL data"
                    + " directory: it has no '" + PgDataLayout.CONTROL_FILE + "'", e);
        } catch (IOException e) {
            throw new PgwardenException(ErrorCode.PG_DATA_UNREADABLE, "unable to read '" + file + "': "
                    + e.getMessage(), e);
        }
        if (head.length < 20) {
            throw new PgwardenException(ErrorCode.PG_DATA_UNREADABLE, "'" + file + "' is too short ("
                    + head.length + " bytes) to be a control file");
        }
        ByteBuffer b = ByteBuffer.wrap(head).order(ByteOrder.nativeOrder());
        return new PgControlFile(b.getLong(0), b.getInt(16));
    }

    /** Whether the server stopped with a shutdown checkpoint, so the directory needs no WAL replay to start. */
    public boolean shutDownCleanly() {
        return state == SHUTDOWNED || state == SHUTDOWNED_IN_RECOVERY;
    }
}
