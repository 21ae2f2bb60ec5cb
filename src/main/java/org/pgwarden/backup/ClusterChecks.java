package org.pgwarden.backup;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.pgwarden.common.ErrorCode;
import org.pgwarden.common.PgwardenException;
import org.pgwarden.pg.PgServerInfo;
import org.pgwarden.repo.StanzaInfo;

/** Refusals before a backup starts, each with what to do about it. */
final class ClusterChecks {
    private ClusterChecks() {
    }

    static void requireBackupable(PgServerInfo server, StanzaInfo stanza, Path dataDirectory) {
        if (server.systemIdentifier() != stanza.systemIdentifier()) {
            throw new PgwardenException(ErrorCode.WAL_FOREIGN, "the server's system identifier "
                    + Long.toUnsignedString(server.systemIdentifier()) + " is not stanza '" + stanza.stanza() + "' ("
                    + Long.toUnsignedString(stanza.systemIdentifier()) + ")",
                    "this repository belongs to another cluster; use a repository of its own", null);
        }
        if (server.version().major() != stanza.pgMajor()) {
            throw new PgwardenException(ErrorCode.PG_MISCONFIGURED, "the server runs PostgreSQL " + server.version()
                    + " but stanza '" + stanza.stanza() + "' was created for PostgreSQL " + stanza.pgMajor(),
                    "after a major upgrade, start a new repository with 'pgwarden stanza-create'", null);
        }
        if (server.inRecovery()) {
            throw new PgwardenException(ErrorCode.PG_MISCONFIGURED, "the server is a standby; backup from a standby is"
                    + " not supported yet", "point postgres.connection at the primary", null);
        }
        if (!server.archivingEnabled()) {
            throw new PgwardenException(ErrorCode.PG_MISCONFIGURED, "archive_mode is off; a backup needs its WAL"
                    + " archived to be restorable", "ALTER SYSTEM SET archive_mode = 'on'; then restart PostgreSQL", null);
        }
        if (!same(server.dataDirectory(), dataDirectory)) {
            throw new PgwardenException(ErrorCode.PG_MISCONFIGURED, "postgres.data-directory is '" + dataDirectory
                    + "' but the server's data_directory is '" + server.dataDirectory() + "'",
                    "set postgres.data-directory to '" + server.dataDirectory() + "'", null);
        }
    }

    private static boolean same(Path a, Path b) {
        try {
            return a.normalize().equals(b.normalize()) || Files.isSameFile(a, b);
        } catch (IOException e) {
            return false;
        }
    }
}
