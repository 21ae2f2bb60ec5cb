package org.pgwarden.maintenance;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Optional;
import java.util.function.BooleanSupplier;
import org.pgwarden.common.ByteSize;
import org.pgwarden.config.MaintenanceConfig;
import org.pgwarden.pg.ReplicationLag;

/**
 * The conditions that pause a window, checked before each item. A running backup is known two
 * ways: this daemon's own backup jobs ({@code backupRunning}, from the job runner), and base
 * backups of any other tool ({@code pg_stat_progress_basebackup}); a CLI run sees only the second.
 */
final class Guards {
    private final MaintenanceConfig.Guards config;
    private final BooleanSupplier backupRunning;

    Guards(MaintenanceConfig.Guards config, BooleanSupplier backupRunning) {
        this.config = config;
        this.backupRunning = backupRunning;
    }

    /** Why the window must pause now, or empty. */
    Optional<String> check(Connection c) throws SQLException {
        if (config.skipDuringBackup()) {
            if (backupRunning.getAsBoolean()) {
                return Optional.of("a backup of this stanza is running (guards.skip-during-backup)");
            }
            if (count(c, "SELECT count(*) FROM pg_stat_progress_basebackup") > 0) {
                return Optional.of("a base backup is running (pg_stat_progress_basebackup;"
                        + " guards.skip-during-backup)");
            }
        }
        if (config.maxReplicationLag().isPresent()) {
            long lag = ReplicationLag.bytes(c);
            if (lag > config.maxReplicationLag().get().bytes()) {
                return Optional.of("a standby is " + ByteSize.ofBytes(lag).toHuman() + " of WAL behind, more than"
                        + " guards.max-replication-lag " + config.maxReplicationLag().get());
            }
        }
        if (config.maxActiveSessions().isPresent()) {
            long active = count(c, "SELECT count(*) FROM pg_stat_activity WHERE state = 'active'"
                    + " AND backend_type = 'client backend' AND pid <> pg_backend_pid()");
            if (active > config.maxActiveSessions().getAsInt()) {
                return Optional.of(active + " active sessions, more than guards.max-active-sessions "
                        + config.maxActiveSessions().getAsInt());
            }
        }
        return Optional.empty();
    }

    private static long count(Connection c, String sql) throws SQLException {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }
}
