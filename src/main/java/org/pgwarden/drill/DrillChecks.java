package org.pgwarden.drill;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.pgwarden.common.ErrorCode;
import org.pgwarden.common.PgwardenException;
import org.pgwarden.config.DrillConfig;
import org.pgwarden.job.JobContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The checks a drill runs on the recovered copy: {@code amcheck} over every B-tree index of the
 * configured databases, row-count floors and SQL checks with expected results. Each failure is a
 * {@link DrillReport.Check} with a message naming what failed; a check never stops the others.
 */
final class DrillChecks {
    private static final Logger log = LoggerFactory.getLogger(DrillChecks.class);
    /** Index failures listed per database before the rest is only counted: a report, not a dump. */
    private static final int MAX_LISTED = 10;

    /**
     * Only valid, ready, permanent B-tree indexes: amcheck refuses the others, and temporary
     * relations of other sessions cannot be read.
     */
    static final String BTREE_INDEXES = "SELECT c.oid, quote_ident(n.nspname) || '.' || quote_ident(c.relname)"
            + " FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace"
            + " JOIN pg_am am ON am.oid = c.relam"
            + " WHERE am.amname = 'btree' AND i.indisvalid AND i.indisready AND c.relpersistence <> 't'"
            + " ORDER BY n.nspname, c.relname";
    static final String DATABASES = "SELECT datname FROM pg_database WHERE datallowconn AND NOT datistemplate"
            + " ORDER BY datname";

    private final DrillConfig config;
    private final Drill.Server server;
    private final JobContext context;
    private final Instant deadline;

    DrillChecks(DrillConfig config, Drill.Server server, JobContext context, Instant deadline) {
        this.config = config;
        this.server = server;
        this.context = context;
        this.deadline = deadline;
    }

    List<DrillReport.Check> run() {
        List<DrillReport.Check> out = new ArrayList<>();
        List<String> databases = config.databases().isEmpty()
                ? server.query("postgres", c -> strings(c, DATABASES)) : config.databases();
        for (String db : databases) {
            step();
            out.add(amcheck(db));
        }
        for (DrillConfig.RowCountFloor f : config.rowCountFloors()) {
            step();
            out.add(rowCount(f));
        }
        for (DrillConfig.SqlCheck s : config.sqlChecks()) {
            step();
            out.add(sql(s));
        }
        return out;
    }

    private void step() {
        context.checkCancelled();
        Drill.checkDeadline(context, deadline, "the checks");
    }

    DrillReport.Check amcheck(String db) {
        String name = "amcheck:" + db;
        try {
            return server.query(db, c -> {
                try (Statement st = c.createStatement()) {
                    st.execute("CREATE EXTENSION IF NOT EXISTS amcheck");
                }
                List<Long> oids = new ArrayList<>();
                List<String> names = new ArrayList<>();
                try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(BTREE_INDEXES)) {
                    while (rs.next()) {
                        oids.add(rs.getLong(1));
                        names.add(rs.getString(2));
                    }
                }
                // autocommit (the connection's default): a failed check ends only its own statement
                List<String> failures = new ArrayList<>();
                // heapallindexed also proves every heap tuple has its index entry; it reads each table once more
                try (PreparedStatement ps = c.prepareStatement("SELECT bt_index_check(?::oid, ?)")) {
                    for (int i = 0; i < oids.size(); i++) {
                        step();   // a large database has many indexes; cancellation and the timeout reach in here
                        ps.setLong(1, oids.get(i));
                        ps.setBoolean(2, config.amcheckHeapAllIndexed());
                        try {
                            ps.execute();
                        } catch (SQLException e) {
                            // one broken index must not hide the next one
                            failures.add(names.get(i) + ": " + firstLine(e.getMessage()));
                        }
                    }
                }
                if (failures.isEmpty()) {
                    return DrillReport.Check.passed(name, oids.size() + " B-tree index(es) of database '" + db
                            + "' checked by amcheck (bt_index_check" + (config.amcheckHeapAllIndexed()
                            ? ", heapallindexed" : "") + ")");
                }
                String listed = String.join("; ", failures.subList(0, Math.min(MAX_LISTED, failures.size())))
                        + (failures.size() > MAX_LISTED ? "; and " + (failures.size() - MAX_LISTED) + " more" : "");
                return DrillReport.Check.failed(name, failures.size() + " of " + oids.size() + " B-tree index(es) of"
                        + " database '" + db + "' failed amcheck: " + listed);
            });
        } catch (RuntimeException e) {
            return DrillReport.Check.failed(name, "unable to run amcheck in database '" + db + "': " + describe(e));
        }
    }

    DrillReport.Check rowCount(DrillConfig.RowCountFloor f) {
        String name = "row-count:" + f.database() + "." + f.table();
        try {
            long rows = server.query(f.database(), c -> {
                try (Statement st = c.createStatement();
                        ResultSet rs = st.executeQuery("SELECT count(*) FROM " + quoteQualified(f.table()))) {
                    rs.next();
                    return rs.getLong(1);
                }
            });
            String what = "table '" + f.table() + "' in database '" + f.database() + "' holds " + rows + " row(s)";
            return rows >= f.minRows() ? DrillReport.Check.passed(name, what + ", at least " + f.minRows())
                    : DrillReport.Check.failed(name, what + ", fewer than the floor of " + f.minRows());
        } catch (RuntimeException e) {
            return DrillReport.Check.failed(name, "unable to count rows of '" + f.table() + "' in database '"
                    + f.database() + "': " + describe(e));
        }
    }

    DrillReport.Check sql(DrillConfig.SqlCheck s) {
        String name = "sql:" + s.name();
        try {
            String got = server.query(s.database(), c -> {
                try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(s.sql())) {
                    return rs.next() ? rs.getString(1) : null;
                }
            });
            return Objects.equals(got, s.expect())
                    ? DrillReport.Check.passed(name, "returned '" + got + "' as expected")
                    : DrillReport.Check.failed(name, "returned " + (got == null ? "no row or NULL" : "'" + got + "'")
                            + ", expected '" + s.expect() + "' (database '" + s.database() + "')");
        } catch (RuntimeException e) {
            return DrillReport.Check.failed(name, "unable to run in database '" + s.database() + "': " + describe(e));
        }
    }

    /** {@code schema.table} or {@code table}, each part quoted as an identifier (the config allows only plain names). */
    static String quoteQualified(String table) {
        StringBuilder out = new StringBuilder();
        for (String part : table.split("\\.")) {
            if (!out.isEmpty()) {
                out.append('.');
            }
            out.append('"').append(part.replace("\"", "\"\"")).append('"');
        }
        return out.toString();
    }

    private static List<String> strings(Connection c, String sql) throws SQLException {
        List<String> out = new ArrayList<>();
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            while (rs.next()) {
                out.add(rs.getString(1));
            }
        }
        return out;
    }

    private static String describe(RuntimeException e) {
        if (e instanceof PgwardenException p
                && (p.errorCode() == ErrorCode.CANCELLED || p.errorCode() == ErrorCode.TIMEOUT)) {
            throw p;   // ends the drill, not just this check
        }
        log.debug("drill check failed", e);
        return firstLine(e.getMessage());
    }

    private static String firstLine(String message) {
        if (message == null) {
            return "(no message)";
        }
        int nl = message.indexOf('\n');
        return nl < 0 ? message : message.substring(0, nl);
    }
}
