package org.pgwarden.config;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.pgwarden.common.ByteSize;

/**
 * Audit retention ({@code audit-retention:}): per table, rows older than the keep period are
 * archived to the repository (sealed, read back and verified) and only then deleted in bounded
 * batches, or whole partitions are archived, detached and dropped. Not to be confused with
 * {@code retention:}, which expires backups.
 *
 * @param tables the tables, in the order written; each is named by its {@code schema.table}, which is unique
 */
public record AuditRetentionConfig(List<Table> tables) {
    static final int DEFAULT_BATCH_SIZE = 1000;
    static final int MAX_BATCH_SIZE = 100_000;
    static final Duration DEFAULT_PAUSE = Duration.ofSeconds(1);
    static final Duration DEFAULT_MAX_RUN_TIME = Duration.ofHours(1);
    static final ByteSize DEFAULT_MAX_REPLICATION_LAG = ByteSize.ofMiB(1024);
    static final Duration DEFAULT_LOCK_TIMEOUT = Duration.ofSeconds(2);
    static final Duration DEFAULT_STATEMENT_TIMEOUT = Duration.ofMinutes(5);
    private static final String IDENTIFIER = "[A-Za-z_][A-Za-z0-9_$]*";

    public AuditRetentionConfig {
        tables = List.copyOf(tables);
    }

    /** How rows leave a table. */
    public enum Mode {
        /** Oldest rows in key order, a bounded batch at a time: archive, verify, delete, pause. */
        BATCHES,
        /** Range partitions (on the timestamp column) wholly older than the cutoff: archive, verify, detach, drop. */
        PARTITIONS
    }

    /**
     * One table under audit retention.
     *
     * @param database          the database holding it
     * @param table             {@code schema.table}
     * @param timestampColumn   the column rows age by ({@code timestamptz} or {@code timestamp})
     * @param keep              rows younger than this stay
     * @param archive           false only when the operator wrote {@code archive: false}: rows are deleted unarchived
     * @param keyColumns        the columns identifying the rows a batch archived; empty: the primary key
     * @param batchSize         rows per batch (batches mode)
     * @param pause             pause after each batch, so replicas and vacuum keep up
     * @param maxRunTime        no new batch or partition starts after this much of a run
     * @param maxReplicationLag no new batch starts while a standby replays further behind than this
     * @param legalHold         when true nothing of this table is archived or deleted
     * @param schedule          Quartz cron expression the daemon runs this table on; empty: on demand only
     * @param lockTimeout       {@code lock_timeout} of every statement; a lock not granted in time fails the batch
     * @param statementTimeout  {@code statement_timeout} of every statement
     */
    public record Table(String database, String table, String timestampColumn, Duration keep, Mode mode,
            boolean archive, List<String> keyColumns, int batchSize, Duration pause, Duration maxRunTime,
            ByteSize maxReplicationLag, boolean legalHold, Optional<String> schedule, Duration lockTimeout,
            Duration statementTimeout) {
        public Table {
            keyColumns = List.copyOf(keyColumns);
        }

        /** The schema part of {@link #table()}. */
        public String schema() {
            return table.substring(0, table.indexOf('.'));
        }

        /** The name part of {@link #table()}. */
        public String name() {
            return table.substring(table.indexOf('.') + 1);
        }
    }

    /** The table named {@code table} ({@code schema.table}). */
    public Optional<Table> table(String table) {
        return tables.stream().filter(t -> t.table().equals(table)).findFirst();
    }

    static AuditRetentionConfig bind(ConfigNode n) {
        List<Table> tables = new ArrayList<>();
        Map<String, String> seen = new HashMap<>();
        for (ConfigNode t : n.sectionList("tables")) {
            String database = t.requiredString("database");
            // Also a segment of the archives' keys in the repository, hence no '/', '.' or spaces.
            if (database != null && !database.matches("[A-Za-z0-9_][A-Za-z0-9_$-]{0,62}")) {
                t.problem("database", "expected a database name of letters, digits, '_', '$' or '-' (at most 63),"
                        + " got '" + database + "'");
            }
            String table = t.requiredString("table");
            if (table != null && !table.matches(IDENTIFIER + "\\." + IDENTIFIER)) {
                t.problem("table", "expected a schema-qualified table name (schema.table), got '" + table + "'");
            } else if (table != null && seen.putIfAbsent(table, t.path()) != null) {
                t.problem("table", "'" + table + "' is already configured at " + seen.get(table)
                        + "; each table is listed once");
            }
            String column = t.requiredString("timestamp-column");
            if (column != null && !column.matches(IDENTIFIER)) {
                t.problem("timestamp-column", "expected a column name, got '" + column + "'");
            }
            Duration keep = null;
            if (!t.has("keep")) {
                t.problem("keep", "must not be empty (how long rows stay, e.g. '90d')");
            } else {
                keep = t.duration("keep", null, Duration.ofHours(1));
            }
            Mode mode = t.choice("mode", Mode.BATCHES, Mode.class);
            boolean archive = t.bool("archive", true);
            List<String> keys = t.stringList("key-columns");
            for (String k : keys) {
                if (!k.matches(IDENTIFIER)) {
                    t.problem("key-columns", "expected column names, got '" + k + "'");
                }
            }
            int batchSize = t.integer("batch-size", DEFAULT_BATCH_SIZE, 1, MAX_BATCH_SIZE);
            Duration pause = t.duration("pause-between-batches", DEFAULT_PAUSE);
            Duration maxRunTime = t.duration("max-run-time", DEFAULT_MAX_RUN_TIME, Duration.ofSeconds(1));
            ByteSize lag = t.size("max-replication-lag", DEFAULT_MAX_REPLICATION_LAG, ByteSize.ofBytes(0),
                    ByteSize.ofMiB(1024L * 1024));
            boolean legalHold = t.bool("legal-hold", false);
            Optional<String> schedule = t.cron("schedule");
            Duration lockTimeout = t.duration("lock-timeout", DEFAULT_LOCK_TIMEOUT, Duration.ofMillis(1));
            Duration statementTimeout = t.duration("statement-timeout", DEFAULT_STATEMENT_TIMEOUT,
                    Duration.ofSeconds(1));
            t.done();
            tables.add(new Table(database, table, column, keep, mode, archive, keys, batchSize, pause, maxRunTime,
                    lag, legalHold, schedule, lockTimeout, statementTimeout));
        }
        n.done();
        return new AuditRetentionConfig(tables);
    }

    public static AuditRetentionConfig defaults() {
        return new AuditRetentionConfig(List.of());
    }
}
