package org.pgwarden.audit;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.pgwarden.config.AuditRetentionConfig.Mode;
import org.pgwarden.config.AuditRetentionConfig.Table;
import org.pgwarden.job.JobContext;

/**
 * What a run would do, read-only ({@code pgwarden retention --dry-run}): per table the cutoff, the
 * rows (batches mode) or partitions (partitions mode) past it, and the archive size estimated from
 * the rows' stored size (the sealed archive is usually smaller: it is compressed).
 */
public final class AuditPreview {
    private final AuditRetention retention;

    public AuditPreview(AuditRetention retention) {
        this.retention = retention;
    }

    /** One partition a run would archive, detach and drop. */
    public record PartitionPreview(String partition, long rows, long bytes) {
    }

    public record TablePreview(String table, String database, String mode, boolean archive, boolean legalHold,
            Instant cutoff, long rows, long estimatedArchiveBytes, List<PartitionPreview> partitions) {
    }

    public List<TablePreview> preview(List<Table> tables, JobContext context) {
        List<TablePreview> out = new ArrayList<>();
        for (Table t : tables) {
            out.add(preview(t, context));
        }
        return out;
    }

    private TablePreview preview(Table t, JobContext context) {
        Instant cutoff = context.clock().instant().minus(t.keep());
        try (Connection c = retention.pg().openDedicatedConnection(t.database())) {
            c.setAutoCommit(false);
            c.setReadOnly(true);
            TableShape shape = TableShape.load(c, t, retention.path(t));
            TableRun run = new TableRun(t, shape, c, retention.pg(), retention.archives(), context,
                    AuditRetention.Checkpoint.NONE, new AuditMetrics(org.pgwarden.metrics.Metrics.noop()));
            List<PartitionPreview> parts = new ArrayList<>();
            long rows = 0;
            long bytes = 0;
            if (t.mode() == Mode.PARTITIONS) {
                for (PartitionMode.Partition p : new PartitionMode(run).expired()) {
                    Sql.begin(c, t);
                    long n = Sql.queryLong(c, "SELECT count(*) FROM " + p.qualified());
                    long size = Sql.queryLong(c, "SELECT pg_table_size(to_regclass(?))", p.qualified());
                    c.rollback();
                    parts.add(new PartitionPreview(p.label(), n, size));
                    rows += n;
                    bytes += size;
                }
            } else {
                Sql.begin(c, t);
                try (PreparedStatement ps = c.prepareStatement("SELECT count(*), coalesce(sum(pg_column_size(t.*)), 0)"
                        + " FROM " + shape.qualified() + " t WHERE " + run.ts() + " < " + Sql.timestamptz(cutoff));
                        ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    rows = rs.getLong(1);
                    bytes = rs.getLong(2);
                }
                c.rollback();
            }
            return new TablePreview(t.table(), t.database(), t.mode().name().toLowerCase(java.util.Locale.ROOT),
                    t.archive(), t.legalHold(), cutoff, rows, t.archive() ? bytes : 0, parts);
        } catch (SQLException e) {
            throw Sql.failed(t, "the dry run", e);
        }
    }
}
