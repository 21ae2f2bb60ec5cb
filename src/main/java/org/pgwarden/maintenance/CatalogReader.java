package org.pgwarden.maintenance;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalLong;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads a {@link CatalogSnapshot} of one database from the statistics views and the catalog. Only
 * ordinary tables and materialized views are read: temporary tables belong to other sessions
 * (only their own session can vacuum them), partitioned parents hold no rows, and system
 * catalogs are left to autovacuum. Unlogged tables are read like the others.
 */
final class CatalogReader {
    private static final Logger log = LoggerFactory.getLogger(CatalogReader.class);

    /** B-tree page: 8 KiB less page header (24) and B-tree special space (16). */
    static final int BTREE_PAGE_OVERHEAD = 40;
    /** Per index tuple: its header (8) and its line pointer (4); data is padded to 8 bytes. */
    static final int INDEX_TUPLE_OVERHEAD = 12;

    /** Reported as the access method of an exclusion constraint's index, which is never rebuilt. */
    static final String EXCLUSION = "exclusion-constraint";

    private static final String USER_RELATIONS = "n.nspname NOT IN ('pg_catalog', 'information_schema')"
            + " AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp\\_%'";

    private static final String TABLES = """
            SELECT c.oid, n.nspname, c.relname, c.relpersistence = 'u',
                   pg_table_size(c.oid), pg_indexes_size(c.oid),
                   coalesce(s.n_live_tup, 0), coalesce(s.n_dead_tup, 0), coalesce(s.n_mod_since_analyze, 0),
                   greatest(s.last_analyze, s.last_autoanalyze),
                   greatest(age(c.relfrozenxid), coalesce(age(t.relfrozenxid), 0)),
                   greatest(mxid_age(c.relminmxid), coalesce(mxid_age(t.relminmxid), 0))
              FROM pg_class c
              JOIN pg_namespace n ON n.oid = c.relnamespace
              LEFT JOIN pg_class t ON t.oid = c.reltoastrelid
              LEFT JOIN pg_stat_user_tables s ON s.relid = c.oid
             WHERE c.relkind IN ('r', 'm') AND c.relpersistence IN ('p', 'u') AND %s
            """.formatted(USER_RELATIONS);

    // Key columns' average widths from pg_stats, to estimate the size of a freshly built index.
    private static final String INDEXES = """
            SELECT i.indexrelid, n.nspname, ic.relname, i.indrelid, tc.relname, am.amname,
                   pg_relation_size(i.indexrelid), i.indisvalid, i.indisunique,
                   EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid
                              AND k.conrelid = i.indrelid AND k.contype IN ('p', 'u', 'x')),
                   coalesce(s.idx_scan, 0), tc.reltuples,
                   (SELECT sum(st.avg_width) FROM unnest(i.indkey::int2[]) AS k(attnum)
                      JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
                      JOIN pg_stats st ON st.schemaname = n.nspname AND st.tablename = tc.relname
                                      AND st.attname = a.attname),
                   (SELECT count(*) FROM unnest(i.indkey::int2[]) AS k(attnum)
                      JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
                      JOIN pg_stats st ON st.schemaname = n.nspname AND st.tablename = tc.relname
                                      AND st.attname = a.attname),
                   i.indnatts,
                   EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid
                              AND k.conrelid = i.indrelid AND k.contype = 'x')
              FROM pg_index i
              JOIN pg_class ic ON ic.oid = i.indexrelid
              JOIN pg_class tc ON tc.oid = i.indrelid
              JOIN pg_namespace n ON n.oid = tc.relnamespace
              JOIN pg_am am ON am.oid = ic.relam
              LEFT JOIN pg_stat_user_indexes s ON s.indexrelid = i.indexrelid
             WHERE tc.relkind IN ('r', 'm') AND tc.relpersistence IN ('p', 'u') AND %s
            """.formatted(USER_RELATIONS);

    private CatalogReader() {
    }

    /**
     * Which indexes {@code pgstatindex} measures when pgstattuple is installed: it reads the whole
     * index, so only B-tree indexes of at least {@code minBytes} whose estimate already shows
     * {@code bloatPercent} or more, or that have no estimate.
     */
    record Measure(boolean enabled, long minBytes, int bloatPercent) {
        static final Measure NONE = new Measure(false, Long.MAX_VALUE, 100);
    }

    /** The snapshot of the database {@code connection} is connected to. */
    static CatalogSnapshot read(Connection connection, String database, Measure measure) throws SQLException {
        CatalogSnapshot.Settings settings;
        List<CatalogSnapshot.Table> tables = new ArrayList<>();
        List<CatalogSnapshot.Index> indexes = new ArrayList<>();
        Set<Long> building = new HashSet<>();
        try (Statement st = connection.createStatement()) {
            try (ResultSet rs = st.executeQuery("SELECT current_setting('autovacuum_freeze_max_age')::bigint,"
                    + " current_setting('autovacuum_multixact_freeze_max_age')::bigint,"
                    + " current_setting('block_size')::int")) {
                rs.next();
                settings = new CatalogSnapshot.Settings(rs.getLong(1), rs.getLong(2), rs.getInt(3));
            }
            try (ResultSet rs = st.executeQuery(TABLES)) {
                while (rs.next()) {
                    Timestamp analyzed = rs.getTimestamp(10);
                    tables.add(new CatalogSnapshot.Table(rs.getLong(1), rs.getString(2), rs.getString(3),
                            rs.getBoolean(4), rs.getLong(5), rs.getLong(6), rs.getLong(7), rs.getLong(8),
                            rs.getLong(9), Optional.ofNullable(analyzed).map(Timestamp::toInstant), rs.getLong(11),
                            rs.getLong(12)));
                }
            }
            try (ResultSet rs = st.executeQuery(INDEXES)) {
                while (rs.next()) {
                    double reltuples = rs.getDouble(12);
                    long width = rs.getLong(13);
                    boolean widthKnown = !rs.wasNull() && rs.getInt(14) == rs.getInt(15);
                    // Indexes of exclusion constraints cannot be rebuilt concurrently: no estimate, never planned.
                    boolean exclusion = rs.getBoolean(16);
                    OptionalLong expected = widthKnown && reltuples >= 0 && !exclusion
                            ? OptionalLong.of(expectedBtreeBytes(reltuples, width, settings.blockSize()))
                            : OptionalLong.empty();
                    indexes.add(new CatalogSnapshot.Index(rs.getLong(1), rs.getString(2), rs.getString(3),
                            rs.getLong(4), rs.getString(5), exclusion ? EXCLUSION : rs.getString(6), rs.getLong(7),
                            rs.getBoolean(8), rs.getBoolean(9), rs.getBoolean(10), rs.getLong(11), expected,
                            OptionalDouble.empty()));
                }
            }
            try (ResultSet rs = st.executeQuery("SELECT relid FROM pg_stat_progress_create_index"
                    + " WHERE datid = (SELECT oid FROM pg_database WHERE datname = current_database())")) {
                while (rs.next()) {
                    building.add(rs.getLong(1));
                }
            }
        }
        return new CatalogSnapshot(database, settings, tables,
                measure.enabled() ? measured(connection, indexes, measure) : indexes, building);
    }

    /**
     * The size of a B-tree built now from {@code rows} rows whose key columns are {@code width}
     * bytes wide on average: leaves 90% full, plus a metapage and about 1% inner pages.
     * Deduplication makes some indexes smaller still, so this errs towards seeing less bloat.
     */
    static long expectedBtreeBytes(double rows, long width, int blockSize) {
        long tuple = INDEX_TUPLE_OVERHEAD + ((width + 7) / 8) * 8;
        double perPage = (blockSize - BTREE_PAGE_OVERHEAD) * 0.9 / tuple;
        long leaves = (long) Math.ceil(rows / Math.max(1, perPage));
        return (1 + leaves + (long) Math.ceil(leaves / 100.0)) * blockSize;
    }

    /**
     * With pgstattuple installed, adds the measured leaf density to the indexes {@code measure}
     * selects; a failure only leaves the estimate in place.
     */
    private static List<CatalogSnapshot.Index> measured(Connection connection, List<CatalogSnapshot.Index> indexes,
            Measure measure) throws SQLException {
        String schema = null;
        try (Statement st = connection.createStatement(); ResultSet rs = st.executeQuery("SELECT n.nspname FROM"
                + " pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'pgstattuple'")) {
            if (rs.next()) {
                schema = rs.getString(1);
            }
        }
        if (schema == null) {
            return indexes;
        }
        List<CatalogSnapshot.Index> out = new ArrayList<>();
        String sql = "SELECT avg_leaf_density FROM " + Plan.quote(schema) + ".pgstatindex(?::oid::regclass)";
        for (CatalogSnapshot.Index i : indexes) {
            boolean worth = i.expectedBytes().isEmpty()
                    || Planner.bloat(i).orElse(1) * 100 >= measure.bloatPercent();
            if (!i.valid() || !i.method().equals("btree") || i.bytes() < measure.minBytes() || !worth) {
                out.add(i);
                continue;
            }
            try (PreparedStatement ps = connection.prepareStatement(sql)) {
                ps.setLong(1, i.oid());
                try (ResultSet rs = ps.executeQuery()) {
                    double d = rs.next() ? rs.getDouble(1) : Double.NaN;
                    out.add(Double.isNaN(d) ? i : new CatalogSnapshot.Index(i.oid(), i.schema(), i.name(),
                            i.tableOid(), i.table(), i.method(), i.bytes(), true, i.unique(), i.constraint(),
                            i.scans(), i.expectedBytes(), OptionalDouble.of(d)));
                }
            } catch (SQLException e) {
                log.info("pgstatindex of index '{}' failed, using the estimate from statistics: {}", i.qualified(),
                        e.getMessage());
                out.add(i);
            }
        }
        return out;
    }

    /** Connectable non-template databases, by name. */
    static List<String> databases(Connection connection) throws SQLException {
        List<String> out = new ArrayList<>();
        try (Statement st = connection.createStatement(); ResultSet rs = st.executeQuery(
                "SELECT datname FROM pg_database WHERE datallowconn AND NOT datistemplate ORDER BY datname")) {
            while (rs.next()) {
                out.add(rs.getString(1));
            }
        }
        return out;
    }

    /** {@code age(datfrozenxid)} of every database: how close each is to transaction ID wraparound. */
    static Map<String, Long> oldestXidAges(Connection connection) throws SQLException {
        Map<String, Long> out = new LinkedHashMap<>();
        try (Statement st = connection.createStatement(); ResultSet rs = st.executeQuery(
                "SELECT datname, age(datfrozenxid) FROM pg_database ORDER BY datname")) {
            while (rs.next()) {
                out.put(rs.getString(1), rs.getLong(2));
            }
        }
        return out;
    }
}
