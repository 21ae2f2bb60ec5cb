package org.pgwarden.audit;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.pgwarden.audit.ArchiveManifest.KeyColumn;
import org.pgwarden.audit.ArchiveManifest.State;
import org.pgwarden.common.ErrorCode;
import org.pgwarden.common.PgwardenException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Batches mode. Each batch is one repeatable-read transaction: find the next {@code batch-size}
 * oldest-by-key rows older than the cutoff (their key range), archive exactly the rows in that
 * range, read the archive back and verify it, record the manifest, delete the same range, and
 * check the delete removed as many rows as were archived before committing. The snapshot makes the
 * archive and the delete see the same rows: a row inserted meanwhile is invisible to both, and a
 * row changed meanwhile makes the delete fail with a serialization error (nothing deleted). Only
 * row locks are taken, under {@code lock_timeout} and {@code statement_timeout}.
 *
 * <p>A manifest still in state {@code archived} at the start of a run belongs to a batch whose run
 * died between the archive and the end of its delete. It is reconciled first: no row left in its
 * range means the delete committed (the manifest is marked deleted); the same rows with the same
 * checksum are deleted now; anything else means the rows changed, so the archive is superseded and
 * the rows are archived again by a later batch. No row is counted twice and none is lost.
 */
final class BatchMode {
    private static final Logger log = LoggerFactory.getLogger(BatchMode.class);

    private final TableRun run;

    BatchMode(TableRun run) {
        this.run = run;
    }

    void run() throws SQLException {
        if (run.table.archive()) {
            reconcile();
        }
        while (true) {
            Optional<String> stop = run.stopReason();
            if (stop.isPresent()) {
                run.stoppedEarly = stop;
                return;
            }
            long rows = batch();
            if (rows == LOCK_NOT_GRANTED) {
                run.stoppedEarly = Optional.of("a row lock was not granted within lock-timeout "
                        + org.pgwarden.common.Durations.format(run.table.lockTimeout()));
                return;
            }
            if (rows != CHANGED && rows < run.table.batchSize()) {
                return;
            }
            run.pause();
        }
    }

    /** {@link #batch()}: rows of the batch changed while it was archived; nothing was deleted, try again. */
    private static final long CHANGED = -1;
    /** {@link #batch()}: a row lock was not granted in time (a writer holds it); nothing was deleted. */
    private static final long LOCK_NOT_GRANTED = -2;

    /**
     * One batch; returns how many rows it removed (0: nothing older than the cutoff is left), or
     * {@link #CHANGED} / {@link #LOCK_NOT_GRANTED} when concurrent writers made it roll back.
     */
    private long batch() throws SQLException {
        var c = run.connection;
        ArchiveManifest m = null;
        try {
            Sql.begin(c, run.table);
            List<String> lo = null;
            List<String> hi = null;
            List<KeyColumn> keys = run.shape.keys();
            // Aliased: an output column named like the key would make ORDER BY sort the text, not the key.
            List<String> texts = new ArrayList<>();
            for (int i = 0; i < keys.size(); i++) {
                texts.add(Sql.ident(keys.get(i).name()) + "::text AS pgwarden_key_" + i);
            }
            String cols = String.join(", ", texts);
            try (PreparedStatement ps = c.prepareStatement("SELECT " + cols + " FROM " + run.shape.qualified()
                    + " WHERE " + run.ts() + " < " + Sql.timestamptz(run.cutoff) + " ORDER BY " + run.shape.keyOrder()
                    + " LIMIT " + run.table.batchSize())) {
                ps.setFetchSize(10_000);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        List<String> k = new ArrayList<>(keys.size());
                        for (int i = 1; i <= keys.size(); i++) {
                            k.add(rs.getString(i));
                        }
                        if (lo == null) {
                            lo = k;
                        }
                        hi = k;
                    }
                }
            }
            if (lo == null) {
                c.rollback();
                return 0;
            }
            String from = run.batchFrom(run.cutoff, keys, lo, hi);
            TableRun.Stats stats = run.stats(from);
            m = run.table.archive() ? run.archive(from, stats, Optional.empty(), lo, hi) : null;
            int deleted = Sql.update(c, "DELETE " + from);
            if (deleted != stats.rows()) {
                throw new PgwardenException(ErrorCode.AUDIT_DELETE_MISMATCH, "table '" + run.table.table()
                        + "': the delete of batch " + (m == null ? "(unarchived)" : m.batch()) + " would remove "
                        + deleted + " rows, but " + stats.rows() + " were archived; rolled back");
            }
            c.commit();
            run.batches++;
            if (m != null) {
                run.deleted(m);
            } else {
                run.counted(deleted, false);
            }
            log.info("audit-retention: {} deleted {} rows (keys {} to {}){}", run.table.table(), deleted, lo, hi,
                    m == null ? " WITHOUT archive (archive: false)" : ", archived as batch " + m.batch());
            return deleted;
        } catch (SQLException e) {
            Sql.rollbackQuietly(c, e);
            String state = e.getSQLState() == null ? "" : e.getSQLState();
            // 40001: a row of the batch was updated or deleted after the snapshot; 40P01: deadlock;
            // 55P03: lock_timeout. The delete rolled back, so the archive holds rows still in the table.
            if (state.equals("40001") || state.equals("40P01") || state.equals("55P03")) {
                if (m != null && rowsLeft(m) == 0) {
                    // Someone else removed every row of the batch: the archive holds them, so it stays
                    // 'archived' and the next run's reconciliation records it as deleted.
                    log.warn("audit-retention: {} batch {}: its rows were deleted by another session meanwhile;"
                            + " the archive is kept", run.table.table(), m.batch());
                } else if (m != null) {
                    run.superseded(m, "the delete rolled back: " + e.getMessage());
                }
                log.warn("audit-retention: {} batch rolled back, nothing deleted: {} (SQLSTATE {})",
                        run.table.table(), e.getMessage(), state);
                return state.equals("55P03") ? LOCK_NOT_GRANTED : CHANGED;
            }
            throw e;
        } catch (RuntimeException e) {
            Sql.rollbackQuietly(c, e);
            throw e;
        }
    }

    /** Rows of the batch {@code m} still in the table, in a fresh snapshot. */
    private long rowsLeft(ArchiveManifest m) throws SQLException {
        var c = run.connection;
        Sql.begin(c, run.table);
        try {
            return run.stats(run.batchFrom(m.cutoff(), m.keyColumns(), m.keyFrom(), m.keyTo())).rows();
        } finally {
            c.rollback();
        }
    }

    private void reconcile() throws SQLException {
        for (ArchiveManifest m : run.archives.list(run.table.database(), run.table.table())) {
            if (m.state() != State.ARCHIVED || m.partition().isPresent()) {
                continue;
            }
            var c = run.connection;
            try {
                Sql.begin(c, run.table);
                String from = run.batchFrom(m.cutoff(), m.keyColumns(), m.keyFrom(), m.keyTo());
                long left = run.stats(from).rows();
                if (left == 0) {
                    c.rollback();
                    run.deleted(m);
                    log.warn("audit-retention: {} batch {} was archived and its delete had committed before the"
                            + " run stopped; recorded as deleted ({} rows)", run.table.table(), m.batch(), m.rows());
                } else if (left == m.rows() && run.digest(from).sha256Hex().equals(m.sha256())) {
                    int deleted = Sql.update(c, "DELETE " + from);
                    if (deleted != m.rows()) {
                        throw new PgwardenException(ErrorCode.AUDIT_DELETE_MISMATCH, "table '" + run.table.table()
                                + "': finishing batch " + m.batch() + " would delete " + deleted + " rows, but "
                                + m.rows() + " were archived; rolled back");
                    }
                    c.commit();
                    run.deleted(m);
                    log.warn("audit-retention: {} batch {} was archived but not deleted when its run stopped;"
                            + " its {} rows are unchanged and are deleted now", run.table.table(), m.batch(), m.rows());
                } else {
                    c.rollback();
                    run.superseded(m, left + " rows in its range now, " + m.rows() + " archived, content differs");
                }
                run.reconciled++;
            } catch (SQLException | RuntimeException e) {
                Sql.rollbackQuietly(c, e);
                throw e;
            }
        }
    }
}
