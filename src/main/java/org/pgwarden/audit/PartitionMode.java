package org.pgwarden.audit;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.pgwarden.audit.ArchiveManifest.State;
import org.pgwarden.common.ErrorCode;
import org.pgwarden.common.PgwardenException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Partitions mode: range partitions (on the timestamp column) whose upper bound is at or before the
 * cutoff, oldest first, are archived whole and verified, detached ({@code DETACH PARTITION ...
 * CONCURRENTLY} on PostgreSQL 14 and later when the table has no default partition, which
 * PostgreSQL requires; a plain detach under {@code lock_timeout} otherwise), checked unchanged
 * against the archive once detached (a row written between the archive and the detach is
 * archived too, never lost), and dropped. The default partition is never touched.
 *
 * <p>A run that died after the archive is finished by the next: a partition that is gone is
 * recorded as dropped; one left detached (or half-detached by an interrupted concurrent detach,
 * which is finalized) is checked against its archive and dropped.
 */
final class PartitionMode {
    private static final Logger log = LoggerFactory.getLogger(PartitionMode.class);
    private static final Pattern RANGE = Pattern.compile("FOR VALUES FROM \\((.*)\\) TO \\((.*)\\)");

    private final TableRun run;

    PartitionMode(TableRun run) {
        this.run = run;
    }

    /** One partition: its schema-qualified, quoted name and upper bound expression as the catalog prints it. */
    record Partition(String schema, String name, String upper, boolean detachPending) {
        String qualified() {
            return Sql.qualified(schema, name);
        }

        String label() {
            return schema + "." + name;
        }
    }

    void run() throws SQLException {
        checkRangePartitioned();
        if (run.table.archive()) {
            reconcile();
        }
        for (Partition p : expired()) {
            Optional<String> stop = run.stopReason();
            if (stop.isPresent()) {
                run.stoppedEarly = stop;
                return;
            }
            drop(p);
        }
    }

    private void checkRangePartitioned() throws SQLException {
        if (!run.shape.partitioned()) {
            throw TableShape.invalid(run.table, "mode", "table '" + run.table.table() + "' is not partitioned;"
                    + " partitions mode needs a table range-partitioned on '" + run.table.timestampColumn()
                    + "' (use mode: batches)");
        }
        try (PreparedStatement ps = run.connection.prepareStatement("SELECT p.partstrat::text, p.partnatts,"
                + " (SELECT attname FROM pg_attribute WHERE attrelid = p.partrelid AND attnum = p.partattrs[0])"
                + " FROM pg_partitioned_table p WHERE p.partrelid = ?")) {
            ps.setLong(1, run.shape.oid());
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next() || !rs.getString(1).equals("r") || rs.getInt(2) != 1
                        || !run.table.timestampColumn().equals(rs.getString(3))) {
                    throw TableShape.invalid(run.table, "mode", "table '" + run.table.table() + "' is not"
                            + " range-partitioned on '" + run.table.timestampColumn() + "' alone");
                }
            }
        }
        run.connection.commit();
    }

    /** Attached, non-default partitions whose every row is older than the cutoff, oldest first. */
    List<Partition> expired() throws SQLException {
        List<Partition> all = new ArrayList<>();
        Sql.begin(run.connection, run.table);
        try {
            try (PreparedStatement ps = run.connection.prepareStatement("SELECT n.nspname, c.relname,"
                    + " pg_get_expr(c.relpartbound, c.oid), i.inhdetachpending FROM pg_inherits i"
                    + " JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_namespace n ON n.oid = c.relnamespace"
                    + " WHERE i.inhparent = ?")) {
                ps.setLong(1, run.shape.oid());
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        Matcher m = RANGE.matcher(rs.getString(3));
                        // DEFAULT never matches: the default partition is never archived or dropped.
                        if (m.matches() && !m.group(2).equalsIgnoreCase("MAXVALUE")) {
                            all.add(new Partition(rs.getString(1), rs.getString(2), m.group(2), rs.getBoolean(4)));
                        }
                    }
                }
            }
            List<Partition> out = new ArrayList<>();
            List<Object[]> withBound = new ArrayList<>();
            for (Partition p : all) {
                // The bound is the catalog's own SQL literal; the server compares it in the column's type.
                try (PreparedStatement ps = run.connection.prepareStatement("SELECT CAST(" + p.upper() + " AS "
                        + run.shape.timestampType() + ") <= " + Sql.timestamptz(run.cutoff) + ", extract(epoch FROM CAST("
                        + p.upper() + " AS " + run.shape.timestampType() + "))::float8");
                        ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    if (rs.getBoolean(1)) {
                        withBound.add(new Object[]{p, rs.getDouble(2)});
                    }
                }
            }
            withBound.sort((a, b) -> Double.compare((double) a[1], (double) b[1]));
            withBound.forEach(a -> out.add((Partition) a[0]));
            return out;
        } finally {
            run.connection.rollback();
        }
    }

    private void drop(Partition p) throws SQLException {
        ArchiveManifest m = null;
        var c = run.connection;
        if (run.table.archive()) {
            try {
                Sql.begin(c, run.table);
                String from = "FROM " + p.qualified();
                m = run.archive(from, run.stats(from), Optional.of(p.label()), List.of(), List.of());
                c.rollback();
            } catch (SQLException | RuntimeException e) {
                Sql.rollbackQuietly(c, e);
                throw e;
            }
        }
        if (p.detachPending()) {
            finalizeDetach(p);
        } else {
            detach(p);
        }
        run.checkpoint.reached(run.table.table(), "detached");
        long rows = dropDetached(p, m);
        run.partitionsDropped++;
        log.info("audit-retention: {} dropped partition {} ({} rows){}", run.table.table(), p.label(), rows,
                m == null ? " WITHOUT archive (archive: false)" : "");
    }

    /**
     * Drops {@code p}, detached already, after checking it still holds exactly what {@code m}
     * archived; rows that arrived before the detach are archived again first. Returns the rows dropped.
     */
    private long dropDetached(Partition p, ArchiveManifest m) throws SQLException {
        var c = run.connection;
        try {
            Sql.begin(c, run.table);
            String from = "FROM " + p.qualified();
            ArchiveManifest finalArchive = m;
            long rows;
            if (m != null) {
                CsvDigest now = run.digest(from);
                if (!now.sha256Hex().equals(m.sha256())) {
                    run.superseded(m, "partition " + p.label() + " changed between its archive and its detach");
                    finalArchive = run.archive(from, run.stats(from), Optional.of(p.label()), List.of(), List.of());
                }
                rows = finalArchive.rows();
            } else {
                rows = run.stats(from).rows();
            }
            Sql.update(c, "DROP TABLE " + p.qualified());
            c.commit();
            if (finalArchive != null) {
                run.deleted(finalArchive);
            } else {
                run.counted(rows, false);
            }
            return rows;
        } catch (SQLException | RuntimeException e) {
            Sql.rollbackQuietly(c, e);
            throw e;
        }
    }

    private void detach(Partition p) throws SQLException {
        var c = run.connection;
        boolean concurrently = serverVersion() >= 140000 && !hasDefaultPartition();
        if (concurrently) {
            // DETACH ... CONCURRENTLY cannot run in a transaction block; session settings bound it instead.
            c.commit();
            c.setAutoCommit(true);
            try (Statement s = c.createStatement()) {
                s.execute("SET lock_timeout = " + Sql.millis(run.table.lockTimeout()));
                s.execute("SET statement_timeout = " + Sql.millis(run.table.statementTimeout()));
                s.execute("ALTER TABLE " + run.shape.qualified() + " DETACH PARTITION " + p.qualified() + " CONCURRENTLY");
            } finally {
                try (Statement s = c.createStatement()) {
                    s.execute("RESET lock_timeout");
                    s.execute("RESET statement_timeout");
                }
                c.setAutoCommit(false);
            }
        } else {
            try {
                Sql.begin(c, run.table);
                Sql.update(c, "ALTER TABLE " + run.shape.qualified() + " DETACH PARTITION " + p.qualified());
                c.commit();
            } catch (SQLException | RuntimeException e) {
                Sql.rollbackQuietly(c, e);
                throw e;
            }
        }
        log.info("audit-retention: {} detached partition {}{}", run.table.table(), p.label(),
                concurrently ? " concurrently" : "");
    }

    private void finalizeDetach(Partition p) throws SQLException {
        var c = run.connection;
        c.commit();
        c.setAutoCommit(true);
        try (Statement s = c.createStatement()) {
            s.execute("SET lock_timeout = " + Sql.millis(run.table.lockTimeout()));
            s.execute("ALTER TABLE " + run.shape.qualified() + " DETACH PARTITION " + p.qualified() + " FINALIZE");
            s.execute("RESET lock_timeout");
        } finally {
            c.setAutoCommit(false);
        }
        log.warn("audit-retention: {} finished the interrupted detach of partition {}", run.table.table(), p.label());
    }

    private int serverVersion() throws SQLException {
        long v = Sql.queryLong(run.connection, "SELECT current_setting('server_version_num')::int");
        run.connection.commit();
        return (int) v;
    }

    private boolean hasDefaultPartition() throws SQLException {
        long n = Sql.queryLong(run.connection, "SELECT count(*) FROM pg_partitioned_table WHERE partrelid = ?"
                + " AND partdefid <> 0", run.shape.oid());
        run.connection.commit();
        return n > 0;
    }

    /** Finishes partitions an earlier run archived but did not drop. */
    private void reconcile() throws SQLException {
        for (ArchiveManifest m : run.archives.list(run.table.database(), run.table.table())) {
            if (m.state() != State.ARCHIVED || m.partition().isEmpty()) {
                continue;
            }
            String label = m.partition().get();
            int dot = label.indexOf('.');
            Partition p = new Partition(label.substring(0, dot), label.substring(dot + 1), "", false);
            var c = run.connection;
            Sql.begin(c, run.table);
            Boolean pending = null;
            boolean exists;
            try (PreparedStatement ps = c.prepareStatement("SELECT to_regclass(?) IS NOT NULL")) {
                ps.setString(1, p.qualified());
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    exists = rs.getBoolean(1);
                }
            }
            if (exists) {
                try (PreparedStatement ps = c.prepareStatement("SELECT inhdetachpending FROM pg_inherits"
                        + " WHERE inhrelid = to_regclass(?) AND inhparent = ?")) {
                    ps.setString(1, p.qualified());
                    ps.setLong(2, run.shape.oid());
                    try (ResultSet rs = ps.executeQuery()) {
                        pending = rs.next() ? rs.getBoolean(1) : null;
                    }
                }
            }
            c.rollback();
            run.reconciled++;
            if (!exists) {
                run.deleted(m);
                run.partitionsDropped++;
                log.warn("audit-retention: {} partition {} was archived and dropped before the run stopped; recorded"
                        + " as deleted", run.table.table(), label);
            } else if (pending == null) {
                log.warn("audit-retention: {} partition {} was archived and detached but not dropped when its run"
                        + " stopped; dropping it now", run.table.table(), label);
                dropDetached(p, m);
                run.partitionsDropped++;
            } else if (pending) {
                finalizeDetach(p);
                dropDetached(p, m);
                run.partitionsDropped++;
            } else {
                // Still attached: this run archives it again from scratch.
                run.superseded(m, "partition " + label + " is still attached");
            }
        }
    }
}
