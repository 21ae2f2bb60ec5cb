package org.pgwarden.maintenance;

import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalLong;
import java.util.Set;

/**
 * What the planner knows about one database: plain values read from the statistics views and the
 * catalog at one moment, so planning is a pure function that tests feed by hand.
 *
 * @param database        the database's name
 * @param settings        server settings that set the scale of the thresholds
 * @param tables          ordinary tables and materialized views (no temporary tables of other sessions)
 * @param indexes         indexes of those tables
 * @param buildingTables  tables with a {@code CREATE INDEX} or {@code REINDEX} in progress right now
 */
public record CatalogSnapshot(String database, Settings settings, List<Table> tables, List<Index> indexes,
        Set<Long> buildingTables) {

    public CatalogSnapshot {
        tables = List.copyOf(tables);
        indexes = List.copyOf(indexes);
        buildingTables = Set.copyOf(buildingTables);
    }

    /**
     * @param freezeMaxAge          {@code autovacuum_freeze_max_age}
     * @param multixactFreezeMaxAge {@code autovacuum_multixact_freeze_max_age}
     * @param blockSize             {@code block_size}
     */
    public record Settings(long freezeMaxAge, long multixactFreezeMaxAge, int blockSize) {
        public static final Settings DEFAULTS = new Settings(200_000_000, 400_000_000, 8192);
    }

    /**
     * One table.
     *
     * @param oid               {@code pg_class.oid}
     * @param unlogged          {@code relpersistence = 'u'}: maintained like any other table
     * @param heapBytes         {@code pg_table_size} (heap, TOAST, free space and visibility maps)
     * @param indexBytes        {@code pg_indexes_size}
     * @param liveTuples        {@code n_live_tup}
     * @param deadTuples        {@code n_dead_tup}
     * @param modifiedSinceAnalyze {@code n_mod_since_analyze}
     * @param lastAnalyze       the later of {@code last_analyze} and {@code last_autoanalyze}
     * @param xidAge            {@code age(relfrozenxid)}
     * @param multixactAge      {@code mxid_age(relminmxid)}
     */
    public record Table(long oid, String schema, String name, boolean unlogged, long heapBytes, long indexBytes,
            long liveTuples, long deadTuples, long modifiedSinceAnalyze, Optional<Instant> lastAnalyze, long xidAge,
            long multixactAge) {
        public String qualified() {
            return schema + "." + name;
        }
    }

    /**
     * One index.
     *
     * @param tableOid        the indexed table
     * @param method          access method ({@code btree}, {@code gin}, ...)
     * @param bytes           {@code pg_relation_size}
     * @param valid           {@code indisvalid}
     * @param unique          {@code indisunique}
     * @param constraint      backs a constraint (primary key, unique, exclusion)
     * @param scans           {@code idx_scan} since the statistics were last reset
     * @param expectedBytes   the size a freshly built B-tree would have, estimated from the table's
     *                        statistics (rows and column widths); empty when the statistics are missing
     * @param leafDensity     {@code pgstatindex(...).avg_leaf_density} in percent, when pgstattuple is
     *                        installed and measured the index; preferred to the estimate
     */
    public record Index(long oid, String schema, String name, long tableOid, String table, String method, long bytes,
            boolean valid, boolean unique, boolean constraint, long scans, OptionalLong expectedBytes,
            OptionalDouble leafDensity) {
        public String qualified() {
            return schema + "." + name;
        }
    }
}
