package org.pgwarden.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * How {@code pgwarden drill} proves a backup restores: where the scratch cluster goes, how long a
 * drill may take, and what it checks once the copy is up.
 *
 * @param scratchDirectory parent of the scratch cluster's directory; needs room for the backup and its WAL
 * @param timeout          the whole drill (restore, recovery, checks) is bounded by this
 * @param databases        databases amcheck covers; empty: every connectable non-template database
 * @param rowCountFloors   tables that must hold at least so many rows
 * @param sqlChecks        queries whose first column of the first row must equal an expected text
 * @param rtoObjective     a drill slower than this (restore to checks done) breaches the objective
 * @param rpoObjective     a recovery point further than this behind the newest archived WAL breaches it
 * @param keepReports      reports kept under {@code drill/} in the repository; older ones are deleted after each drill
 * @param amcheckHeapAllIndexed amcheck also verifies that every heap tuple has its index entry (slower)
 */
public record DrillConfig(Path scratchDirectory, Duration timeout, List<String> databases,
        List<RowCountFloor> rowCountFloors, List<SqlCheck> sqlChecks, Optional<Duration> rtoObjective,
        Optional<Duration> rpoObjective, int keepReports, boolean amcheckHeapAllIndexed) {
    static final Duration DEFAULT_TIMEOUT = Duration.ofHours(2);
    static final int DEFAULT_KEEP_REPORTS = 100;

    public DrillConfig {
        databases = List.copyOf(databases);
        rowCountFloors = List.copyOf(rowCountFloors);
        sqlChecks = List.copyOf(sqlChecks);
    }

    /** {@code table} (optionally schema-qualified) in {@code database} holds at least {@code minRows}. */
    public record RowCountFloor(String database, String table, long minRows) {
    }

    /** {@code sql} in {@code database} returns {@code expect} as the first column of its first row. */
    public record SqlCheck(String name, String database, String sql, String expect) {
    }

    static DrillConfig bind(ConfigNode n) {
        Path scratch = n.path("scratch-directory", Path.of(System.getProperty("java.io.tmpdir")), false);
        Duration timeout = n.duration("timeout", DEFAULT_TIMEOUT, Duration.ofSeconds(10));
        List<String> databases = n.stringList("databases");
        List<RowCountFloor> floors = new ArrayList<>();
        for (ConfigNode f : n.sectionList("row-count-floors")) {
            String db = f.string("database", "postgres");
            String table = f.requiredString("table");
            if (table != null && !table.matches("[A-Za-z_][A-Za-z0-9_$]*(\\.[A-Za-z_][A-Za-z0-9_$]*)?")) {
                f.problem("table", "expected a table name, optionally schema-qualified (schema.table), got '"
                        + table + "'");
            }
            long min = f.integer("min-rows", 1, 0, Integer.MAX_VALUE);
            f.done();
            floors.add(new RowCountFloor(db, table, min));
        }
        List<SqlCheck> checks = new ArrayList<>();
        for (ConfigNode c : n.sectionList("sql-checks")) {
            String name = c.requiredString("name");
            if (name != null && !name.matches("[A-Za-z0-9_.-]{1,64}")) {
                c.problem("name", "expected 1 to 64 letters, digits, '.', '-' or '_', got '" + name + "'");
            }
            String db = c.string("database", "postgres");
            String sql = c.requiredString("sql");
            String expect = c.requiredString("expect");
            c.done();
            checks.add(new SqlCheck(name, db, sql, expect));
        }
        Optional<Duration> rto = n.has("rto-objective")
                ? Optional.of(n.duration("rto-objective", Duration.ofHours(1), Duration.ofSeconds(1))) : Optional.empty();
        Optional<Duration> rpo = n.has("rpo-objective")
                ? Optional.of(n.duration("rpo-objective", Duration.ofHours(1), Duration.ofSeconds(1))) : Optional.empty();
        int keep = n.integer("keep-reports", DEFAULT_KEEP_REPORTS, 1, 100_000);
        boolean heapAllIndexed = n.bool("amcheck-heapallindexed", false);
        n.done();
        return new DrillConfig(scratch, timeout, databases, floors, checks, rto, rpo, keep, heapAllIndexed);
    }

    /** Defaults, for code paths that run without a configuration file. */
    public static DrillConfig defaults() {
        return new DrillConfig(Path.of(System.getProperty("java.io.tmpdir")), DEFAULT_TIMEOUT, List.of(), List.of(),
                List.of(), Optional.empty(), Optional.empty(), DEFAULT_KEEP_REPORTS, false);
    }
}
