package org.pgwarden.audit;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.pgwarden.common.ErrorCode;
import org.pgwarden.common.PgwardenException;
import org.pgwarden.config.AuditRetentionConfig;
import org.pgwarden.config.AuditRetentionConfig.Mode;
import org.pgwarden.config.AuditRetentionConfig.Table;
import org.pgwarden.job.JobContext;
import org.pgwarden.metrics.Metrics;
import org.pgwarden.pg.PgCluster;
import org.pgwarden.repo.SealedObjects;
import org.pgwarden.storage.ObjectStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Audit retention (DESIGN.md §2 invariant 6, §8): for each configured table, rows older than its
 * keep period leave the table only after their archive is stored in the repository and verified
 * (unless the operator wrote {@code archive: false}), in bounded batches or as whole partitions.
 * Each table works on its own dedicated connection to its database.
 */
public final class AuditRetention {
    private static final Logger log = LoggerFactory.getLogger(AuditRetention.class);

    /**
     * Named points of a run where a test may stop the process: {@code archived} (an archive is
     * stored and verified, its rows not yet deleted or its partition not yet detached) and
     * {@code detached} (a partition is detached, not yet dropped). Production runs use {@link #NONE}.
     */
    @FunctionalInterface
    public interface Checkpoint {
        Checkpoint NONE = (table, point) -> { };

        void reached(String table, String point);
    }

    /** What one run did to one table. */
    public record TableResult(String table, String outcome, long rowsArchived, long rowsDeleted, long archiveBytes,
            int batches, int partitionsDropped, int reconciled, Optional<String> stoppedEarly) {
        public String summary() {
            return table + ": " + outcome + ", " + rowsDeleted + " rows deleted (" + rowsArchived + " archived, "
                    + archiveBytes + " bytes stored)" + (partitionsDropped > 0 ? ", " + partitionsDropped
                    + " partitions dropped" : "") + (reconciled > 0 ? ", " + reconciled + " earlier batches reconciled"
                    : "") + stoppedEarly.map(s -> "; stopped: " + s).orElse("");
        }
    }

    private final AuditRetentionConfig config;
    private final PgCluster pg;
    private final Archives archives;
    private final AuditMetrics metrics;
    private final Checkpoint checkpoint;

    public AuditRetention(AuditRetentionConfig config, PgCluster pg, ObjectStore store, SealedObjects objects,
            Metrics metrics, Checkpoint checkpoint) {
        this.config = config;
        this.pg = pg;
        this.archives = new Archives(store, objects);
        this.metrics = new AuditMetrics(metrics);
        this.checkpoint = checkpoint;
    }

    public AuditRetentionConfig config() {
        return config;
    }

    /** The configured table {@code name} ({@code schema.table}); a usage error naming the configured ones otherwise. */
    public Table table(String name) {
        return config.table(name).orElseThrow(() -> new PgwardenException(ErrorCode.USAGE, "table '" + name
                + "' is not configured under audit-retention.tables; configured: " + (config.tables().isEmpty()
                ? "none" : String.join(", ", config.tables().stream().map(Table::table).toList()))));
    }

    /** Exports every configured table's keep period, for the "behind" alert. */
    public void publishKeepPeriods() {
        config.tables().forEach(metrics::keep);
    }

    /**
     * Runs every table (or only {@code only}), one after another. A failing table does not stop the
     * others; the first failure is thrown once all have run, with the others' results logged.
     */
    public List<TableResult> run(Optional<String> only, JobContext context) {
        List<Table> tables = only.map(n -> List.of(table(n))).orElse(config.tables());
        List<TableResult> results = new ArrayList<>();
        PgwardenException first = null;
        for (Table t : tables) {
            if (context.isCancelled()) {
                break;
            }
            try {
                results.add(run(t, context));
            } catch (RuntimeException e) {
                PgwardenException p = PgwardenException.of(e);
                log.error("audit-retention: {} failed: [{}] {}", t.table(), p.errorCode().id(), p.getMessage());
                if (first == null) {
                    first = p;
                } else {
                    first.addSuppressed(p);
                }
            }
        }
        if (first != null) {
            throw first;
        }
        context.checkCancelled();
        return results;
    }

    /** One table: legal hold, then the configured mode, then the oldest-row gauge. */
    public TableResult run(Table t, JobContext context) {
        metrics.keep(t);
        if (t.legalHold()) {
            log.warn("audit-retention: {} in database '{}' is under legal hold (legal-hold: true); skipped, nothing"
                    + " archived or deleted", t.table(), t.database());
            metrics.run(t, "held");
            return new TableResult(t.table(), "held", 0, 0, 0, 0, 0, 0, Optional.empty());
        }
        if (!t.archive()) {
            log.warn("audit-retention: {} in database '{}' DELETES ROWS WITHOUT ARCHIVING THEM (archive: false in"
                    + " the configuration); they cannot be restored", t.table(), t.database());
        }
        TableRun run = null;
        try (Connection c = pg.openDedicatedConnection(t.database())) {
            c.setAutoCommit(false);
            lock(c, t);
            TableShape shape = TableShape.load(c, t, path(t));
            run = new TableRun(t, shape, c, pg, archives, context, checkpoint, metrics);
            if (t.mode() == Mode.PARTITIONS) {
                new PartitionMode(run).run();
            } else {
                new BatchMode(run).run();
            }
            metrics.oldestRowAge(t, run.oldestRowAge());
            String outcome = run.stoppedEarly.isPresent() ? "stopped" : "completed";
            metrics.run(t, outcome);
            TableResult r = result(t, outcome, run);
            log.info("audit-retention: {}", r.summary());
            return r;
        } catch (SQLException e) {
            metrics.run(t, "failed");
            throw Sql.failed(t, "the run", e);
        } catch (RuntimeException e) {
            metrics.run(t, "failed");
            throw e;
        } finally {
            if (run != null && run.partitionsDropped > 0) {
                metrics.partitionsDropped(t, run.partitionsDropped);
            }
        }
    }

    /**
     * Takes a session advisory lock for the table, so that two processes (the daemon and the CLI,
     * or daemons of a fleet) never work on the same table at once; the server releases it when
     * the connection ends, also when the process dies.
     */
    private static void lock(Connection c, Table t) throws SQLException {
        boolean got;
        try (var ps = c.prepareStatement("SELECT pg_try_advisory_lock(hashtext('pgwarden audit-retention'),"
                + " hashtext(?))")) {
            ps.setString(1, t.table());
            try (var rs = ps.executeQuery()) {
                rs.next();
                got = rs.getBoolean(1);
            }
        }
        c.commit();
        if (!got) {
            throw new PgwardenException(ErrorCode.LOCK_HELD, "audit retention of table '" + t.table()
                    + "' in database '" + t.database() + "' is already running in another session (advisory lock"
                    + " held); nothing done", "let the other run finish; pg_locks shows who holds it", null);
        }
    }

    private static TableResult result(Table t, String outcome, TableRun run) {
        return new TableResult(t.table(), outcome, run.rowsArchived, run.rowsDeleted, run.archiveBytes, run.batches,
                run.partitionsDropped, run.reconciled, run.stoppedEarly);
    }

    String path(Table t) {
        return "audit-retention.tables[" + config.tables().indexOf(t) + "]";
    }

    /** The archives of {@code t}'s rows for restore and dry run. */
    Archives archives() {
        return archives;
    }

    PgCluster pg() {
        return pg;
    }
}
