package org.pgwarden.config;

import java.util.Optional;

/**
 * The whole configuration, immutable once loaded. Each feature reads only its own section.
 */
public record PgwardenConfig(
        String stanza,
        PostgresConfig postgres,
        RepositoryConfig repository,
        EncryptionConfig encryption,
        CompressionConfig compression,
        BackupConfig backup,
        SchedulesConfig schedules,
        MetricsConfig metrics,
        AdminConfig admin,
        LoggingConfig logging,
        DaemonConfig daemon,
        WalFetchConfig restore,
        WalConfig wal,
        Optional<ControlDatabaseConfig> controlDatabase,
        RetentionConfig retention,
        DrillConfig drill,
        MaintenanceConfig maintenance,
        AuditRetentionConfig auditRetention) {

    static PgwardenConfig bind(ConfigNode root) {
        String stanza = root.requiredString("stanza");
        if (stanza != null && !stanza.matches("[a-z0-9][a-z0-9_-]{0,62}")) {
            root.problem("stanza", "expected lowercase letters, digits, '-' or '_' (at most 63, starting with a"
                    + " letter or digit), got '" + stanza + "'");
        }
        PgwardenConfig c = new PgwardenConfig(
                stanza,
                PostgresConfig.bind(root.section("postgres")),
                RepositoryConfig.bind(root.section("repository")),
                EncryptionConfig.bind(root.section("encryption")),
                CompressionConfig.bind(root.section("compression")),
                BackupConfig.bind(root.section("backup")),
                SchedulesConfig.bind(root.section("schedules")),
                MetricsConfig.bind(root.section("metrics")),
                AdminConfig.bind(root.section("admin")),
                LoggingConfig.bind(root.section("logging")),
                DaemonConfig.bind(root.section("daemon")),
                WalFetchConfig.bind(root.section("restore")),
                WalConfig.bind(root.section("wal")),
                ControlDatabaseConfig.bind(root.section("control-database"), root.has("control-database")),
                RetentionConfig.bind(root.section("retention")),
                DrillConfig.bind(root.section("drill")),
                MaintenanceConfig.bind(root.section("maintenance")),
                AuditRetentionConfig.bind(root.section("audit-retention")));
        root.done();
        return c;
    }
}
