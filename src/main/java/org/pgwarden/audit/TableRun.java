package org.pgwarden.audit;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.pgwarden.audit.ArchiveManifest.KeyColumn;
import org.pgwarden.audit.ArchiveManifest.State;
import org.pgwarden.common.ByteSize;
import org.pgwarden.common.ErrorCode;
import org.pgwarden.common.PgwardenException;
import org.pgwarden.config.AuditRetentionConfig.Table;
import org.pgwarden.crypto.SealResult;
import org.pgwarden.job.JobContext;
import org.pgwarden.pg.PgCluster;
import org.pgwarden.pg.ReplicationLag;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One run over one table on its own connection: the archive-verify-delete steps both modes share,
 * and the bookkeeping of what the run did. {@link BatchMode} and {@link PartitionMode} drive it.
 */
final class TableRun {
    private static final Logger log = LoggerFactory.getLogger(TableRun.class);
    private static final DateTimeFormatter BATCH_TIME = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmssSSS'Z'")
            .withZone(ZoneOffset.UTC);

    final Table table;
    final TableShape shape;
    final Connection connection;
    final PgCluster pg;
    final Archives archives;
    final JobContext context;
    final Instant cutoff;
    final Instant started;
    final AuditRetention.Checkpoint checkpoint;
    private final AuditMetrics metrics;
    private int sequence;

    long rowsArchived;
    long rowsDeleted;
    long archiveBytes;
    int batches;
    int partitionsDropped;
    int reconciled;
    Optional<String> stoppedEarly = Optional.empty();

    TableRun(Table table, TableShape shape, Connection connection, PgCluster pg, Archives archives, JobContext context,
            AuditRetention.Checkpoint checkpoint, AuditMetrics metrics) {
        this.table = table;
        this.shape = shape;
        this.connection = connection;
        this.pg = pg;
        this.archives = archives;
        this.context = context;
        this.checkpoint = checkpoint;
        this.metrics = metrics;
        this.started = context.clock().instant();
        this.cutoff = started.minus(table.keep());
    }

    String newBatchId() {
        return BATCH_TIME.format(context.clock().instant()) + "-" + String.format("%06d", ++sequence);
    }

    String ts() {
        return Sql.ident(table.timestampColumn());
    }

    /**
     * Why no new batch or partition should start now, if there is a reason: cancellation, the run
     * time used up, or a standby replaying too far behind.
     */
    Optional<String> stopReason() throws SQLException {
        if (context.isCancelled()) {
            return Optional.of("cancelled");
        }
        Duration ran = Duration.between(started, context.clock().instant());
        if (ran.compareTo(table.maxRunTime()) >= 0) {
            return Optional.of("max-run-time " + org.pgwarden.common.Durations.format(table.maxRunTime()) + " reached");
        }
        long lag = ReplicationLag.bytes(connection);
        connection.commit();
        if (lag > table.maxReplicationLag().bytes()) {
            return Optional.of("replication lag " + ByteSize.ofBytes(lag) + " exceeds max-replication-lag "
                    + table.maxReplicationLag());
        }
        return Optional.empty();
    }

    /** Sleeps the configured pause; a cancellation ends the sleep early. */
    void pause() {
        if (table.pause().isZero()) {
            return;
        }
        try {
            Thread.sleep(table.pause().toMillis());
        } catch (InterruptedException e) {
            // The runner interrupts to cancel and also sets the context's flag, which the loop reads
            // before the next batch; the interrupt itself is consumed so the run's last statements
            // (recording what it did) are not cut short.
        }
    }

    /** The stats of the rows {@code where} selects, in the current transaction. */
    record Stats(long rows, Optional<Instant> oldest, Optional<Instant> newest) {
    }

    Stats stats(String from) throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement("SELECT count(*), extract(epoch FROM min(" + ts()
                + "))::float8, extract(epoch FROM max(" + ts() + "))::float8 " + from);
                ResultSet rs = ps.executeQuery()) {
            rs.next();
            long n = rs.getLong(1);
            return new Stats(n, epoch(rs, 2), epoch(rs, 3));
        }
    }

    private static Optional<Instant> epoch(ResultSet rs, int col) throws SQLException {
        double v = rs.getDouble(col);
        return rs.wasNull() ? Optional.empty() : Optional.of(Instant.ofEpochMilli(Math.round(v * 1000)));
    }

    /** {@code COPY (SELECT * <from> ORDER BY <key>) TO STDOUT} as CSV with a header: the archive format. */
    String copySql(String from) {
        return "COPY (SELECT * " + from + " ORDER BY " + shape.keyOrder() + ") TO STDOUT WITH (FORMAT csv, HEADER true)";
    }

    /**
     * Archives the rows {@code from} selects (in the current transaction), reads the archive back and
     * checks it holds exactly {@code stats.rows()} rows with the SHA-256 it was written with, then
     * stores the manifest in state {@code archived}. Any failure leaves every row in place.
     */
    ArchiveManifest archive(String from, Stats stats, Optional<String> partition, List<String> keyFrom,
            List<String> keyTo) throws SQLException {
        String batch = newBatchId();
        String sql = copySql(from);
        long[] copied = new long[1];
        SealResult sealed;
        try {
            sealed = archives.write(table.database(), table.table(), batch, out -> {
                copied[0] = pg.copyOut(connection, sql, out);
            });
        } catch (PgwardenException e) {
            if (e.errorCode() == ErrorCode.REPO_SOURCE_FAILED && e.getCause() instanceof SQLException s) {
                throw s;
            }
            throw e;
        }
        if (copied[0] != stats.rows()) {
            throw new PgwardenException(ErrorCode.AUDIT_ARCHIVE_MISMATCH, "table '" + table.table() + "': COPY wrote "
                    + copied[0] + " rows into archive batch " + batch + " but the batch holds " + stats.rows()
                    + "; nothing was deleted");
        }
        CsvDigest back = archives.readBack(table.database(), table.table(), batch);
        String sha = sealed.sha256Hex();
        String backSha = back.sha256Hex();
        if (back.rows() != stats.rows() || !backSha.equals(sha)) {
            throw new PgwardenException(ErrorCode.AUDIT_ARCHIVE_MISMATCH, "archive batch " + batch + " of table '"
                    + table.table() + "' read back with " + back.rows() + " rows and SHA-256 " + backSha
                    + ", but was written with " + stats.rows() + " rows and SHA-256 " + sha + "; nothing was deleted");
        }
        ArchiveManifest m = new ArchiveManifest(batch, table.database(), table.table(),
                partition.isPresent() ? "partitions" : "batches", State.ARCHIVED, partition, context.runId(),
                stats.rows(), sealed.plaintextBytes(), sealed.storedBytes(), sha, cutoff, table.timestampColumn(),
                shape.keys(), keyFrom, keyTo, stats.oldest(), stats.newest(), context.clock().instant(),
                Optional.empty());
        archives.save(m);
        archiveBytes += sealed.storedBytes();
        metrics.archiveBytes(table, sealed.storedBytes());
        log.info("audit-retention: {} archived {} rows ({} stored) as batch {}, verified; cutoff {}", table.table(),
                stats.rows(), ByteSize.ofBytes(sealed.storedBytes()), batch, cutoff);
        checkpoint.reached(table.table(), "archived");
        return m;
    }

    /** The SHA-256 and row count of what {@code from} selects now, in archive format, without storing it. */
    CsvDigest digest(String from) throws SQLException {
        CsvDigest d = new CsvDigest();
        try {
            pg.copyOut(connection, copySql(from), d);
        } catch (java.io.IOException e) {
            throw new SQLException("reading the rows again failed: " + e.getMessage(), e);
        }
        return d;
    }

    /** Records that the rows of {@code m} are gone: the manifest's state, the counters. */
    void deleted(ArchiveManifest m) {
        archives.save(m.with(State.DELETED, context.clock().instant()));
        counted(m.rows(), true);
    }

    void counted(long rows, boolean archived) {
        rowsDeleted += rows;
        metrics.deleted(table, rows);
        if (archived) {
            rowsArchived += rows;
            metrics.archived(table, rows);
        }
    }

    void superseded(ArchiveManifest m, String why) {
        archives.save(m.with(State.SUPERSEDED, context.clock().instant()));
        log.warn("audit-retention: {} batch {} superseded: {}; its rows stay in the table and are archived again",
                table.table(), m.batch(), why);
    }

    /** The predicate selecting exactly the rows of a batch: older than its cutoff, keys in its range. */
    String batchFrom(Instant batchCutoff, List<KeyColumn> keys, List<String> lo, List<String> hi) {
        List<String> cols = new ArrayList<>();
        List<String> los = new ArrayList<>();
        List<String> his = new ArrayList<>();
        for (int i = 0; i < keys.size(); i++) {
            cols.add(Sql.ident(keys.get(i).name()));
            los.add(Sql.literal(lo.get(i)) + "::" + keys.get(i).type());
            his.add(Sql.literal(hi.get(i)) + "::" + keys.get(i).type());
        }
        return "FROM " + shape.qualified() + " WHERE " + ts() + " < " + Sql.timestamptz(batchCutoff) + " AND "
                + Sql.tuple(cols) + " >= " + Sql.tuple(los) + " AND " + Sql.tuple(cols) + " <= " + Sql.tuple(his);
    }

    /** Age in seconds of the oldest row, 0 for an empty table. */
    double oldestRowAge() throws SQLException {
        Sql.begin(connection, table);
        try (PreparedStatement ps = connection.prepareStatement("SELECT coalesce(extract(epoch FROM now() - min("
                + ts() + ")::timestamptz), 0)::float8 FROM " + shape.qualified());
                ResultSet rs = ps.executeQuery()) {
            rs.next();
            return Math.max(0, rs.getDouble(1));
        } finally {
            connection.rollback();
        }
    }
}
