package org.pgwarden.pg;

import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * What leaving backup mode returns. A restore writes {@code backupLabel} as the file
 * {@code backup_label} (and the map as {@code tablespace_map}) into the restored data directory;
 * without them recovery would start from the wrong checkpoint.
 *
 * @param stopLsn      WAL up to this position must be archived before the backup is consistent
 * @param backupLabel  the text of {@code backup_label}, as PostgreSQL produced it
 * @param tablespaceMap the text of {@code tablespace_map}; {@code null} when the cluster has no
 *                     tablespaces (PostgreSQL returns an empty text then)
 * @param stopTime     the server's clock when backup mode ended
 */
public record PgBackupStop(Lsn stopLsn, String backupLabel, String tablespaceMap, Instant stopTime) {
    public PgBackupStop {
        Objects.requireNonNull(stopLsn, "stopLsn");
        Objects.requireNonNull(backupLabel, "backupLabel");
        Objects.requireNonNull(stopTime, "stopTime");
        if (tablespaceMap != null && tablespaceMap.isEmpty()) {
            tablespaceMap = null;
        }
    }

    public Optional<String> tablespaceMapText() {
        return Optional.ofNullable(tablespaceMap);
    }
}
