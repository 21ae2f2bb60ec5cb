package org.pgwarden.pg;

import java.time.Instant;
import java.util.Objects;

/**
 * What leaving backup mode returns. A restore writes {@code backupLabelText} as the file
 * {@code backup_label} (and the map as {@code tablespace_map}) into the restored data directory;
 * without them recovery would start from the wrong checkpoint.
 *
 * @param stopLsn      WAL up to this position must be archived before the backup is consistent
 * @param backupLabelText   the text of {@code backup_label}, as PostgreSQL produced it
 * @param tablespaceMapText the text of {@code tablespace_map}; {@code null} when the cluster has no
 *                          tablespaces (PostgreSQL returns an empty text then)
 * @param stopTime     the server's clock when backup mode ended
 */
public record PgBackupStop(Lsn stopLsn, String backupLabelText, String tablespaceMapText, Instant stopTime) {
    public PgBackupStop {
        Objects.requireNonNull(stopLsn, "stopLsn");
        Objects.requireNonNull(backupLabelText, "backupLabelText");
        Objects.requireNonNull(stopTime, "stopTime");
        if (tablespaceMapText != null && tablespaceMapText.isEmpty()) {
            tablespaceMapText = null;
        }
    }

    /** Whether the restore must write a {@code tablespace_map}. */
    public boolean hasTablespaceMap() {
        return tablespaceMapText != null;
    }
}
