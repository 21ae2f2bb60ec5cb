package org.pgwarden.maintenance;

import java.io.ByteArrayInputStream;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import org.pgwarden.common.ErrorCode;
import org.pgwarden.common.PgwardenException;
import org.pgwarden.config.MaintenanceConfig;
import org.pgwarden.job.JobContext;
import org.pgwarden.metrics.MeterNames;
import org.pgwarden.metrics.Metrics;
import org.pgwarden.pg.PgCluster;
import org.pgwarden.repo.RepositoryLayout;
import org.pgwarden.repo.SealedObjects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One maintenance window from start to report: read the statistics of its databases, rank the
 * work ({@link Planner}), run it until the window closes ({@link Executor}), then report it as
 * log lines, metrics and a JSON report in the repository. Each database gets one dedicated session
 * for the whole window, outside the pool, so pgwarden's other work keeps its connections.
 */
public final class Maintenance {
    private static final Logger log = LoggerFactory.getLogger(Maintenance.class);

    private final MaintenanceConfig config;
    private final PgCluster pg;
    private final Optional<SealedObjects> objects;
    private final BooleanSupplier backupRunning;
    private final Clock clock;
    private final Metrics metrics;
    private final Set<String> publishedDeadTuples = new HashSet<>();
    private static final List<String> OUTCOMES = List.of("completed", "deferred", "failed");

    /**
     * @param objects       where reports are stored; empty: not stored (a CLI run without a repository)
     * @param backupRunning whether a backup job of this daemon runs now (the backup guard)
     */
    public Maintenance(MaintenanceConfig config, PgCluster pg, Optional<SealedObjects> objects,
            BooleanSupplier backupRunning, Clock clock, Metrics metrics) {
        this.config = config;
        this.pg = pg;
        this.objects = objects;
        this.backupRunning = backupRunning;
        this.clock = clock;
        this.metrics = metrics;
        // Every window's outcomes exist from the start at 0, so that the first deferred run is an
        // increase Prometheus sees (the deferred-work alert counts them).
        for (MaintenanceConfig.Window w : config.windows()) {
            for (String outcome : OUTCOMES) {
                metrics.increment(MeterNames.MAINTENANCE_WINDOWS, 0, "window", w.name(), "outcome", outcome);
            }
        }
    }

    /** The configured window {@code name}; a {@code MAINTENANCE_WINDOW_UNKNOWN} error naming the valid ones otherwise. */
    public MaintenanceConfig.Window window(String name) {
        return config.window(name).orElseThrow(() -> new PgwardenException(ErrorCode.MAINTENANCE_WINDOW_UNKNOWN,
                "no maintenance window named '" + name + "'; configured: " + (config.windows().isEmpty() ? "none"
                        : String.join(", ", config.windows().stream().map(MaintenanceConfig.Window::name).toList())),
                "windows are configured under maintenance.windows[] (name, start, duration)", null));
    }

    /** What the window would do now, without doing it ({@code maintain --dry-run}). */
    public Plan plan(MaintenanceConfig.Window window) {
        try (Sessions sessions = new Sessions(window)) {
            return plan(window, sessions);
        }
    }

    /** Runs the window from now for its configured duration, and reports it. */
    public WindowReport run(MaintenanceConfig.Window window, JobContext context) {
        return run(window, clock.instant(), context);
    }

    /**
     * Runs the window that opened at {@code openedAt} (its scheduled start: a fire delayed by a
     * lock wait or a restart does not move the end) until {@code openedAt + duration}.
     */
    public WindowReport run(MaintenanceConfig.Window window, Instant openedAt, JobContext context) {
        Instant started = clock.instant();
        Instant deadline = openedAt.plus(window.duration());
        try (Sessions sessions = new Sessions(window)) {
            if (inRecovery()) {
                log.info("maintenance window '{}' run {}: the server is a standby (in recovery); nothing to do",
                        window.name(), context.runId());
                WindowReport r = new WindowReport(context.runId(), window.name(), started, clock.instant(), deadline,
                        List.of(), List.of(), Optional.of("the server is a standby"));
                record(r);
                return r;
            }
            Plan plan = plan(window, sessions);
            log.info("maintenance window '{}' run {}: {} item(s) planned, open until {}", window.name(),
                    context.runId(), plan.items().size(), deadline);
            AtomicReference<String> stop = new AtomicReference<>();
            Executor executor = new Executor(window, sessions, new Guards(window.guards(), backupRunning), clock);
            List<WindowReport.ItemResult> results = executor.run(plan, deadline, context, stop);
            WindowReport r = new WindowReport(context.runId(), window.name(), started, clock.instant(), deadline,
                    results, plan.findings(), Optional.ofNullable(stop.get()));
            record(r);
            return r;
        }
    }

    private boolean inRecovery() {
        return pg.withConnection(c -> {
            try (Statement st = c.createStatement(); var rs = st.executeQuery("SELECT pg_is_in_recovery()")) {
                rs.next();
                return rs.getBoolean(1);
            }
        });
    }

    private Plan plan(MaintenanceConfig.Window window, Sessions sessions) {
        List<String> databases = window.databases().isEmpty()
                ? pg.withConnection(CatalogReader::databases) : window.databases();
        publishXidAges();
        List<CatalogSnapshot> snapshots = new ArrayList<>();
        for (String db : databases) {
            try {
                CatalogReader.Measure measure = window.allows(MaintenanceConfig.Action.REINDEX)
                        ? new CatalogReader.Measure(true, window.thresholds().minTableSize().bytes(),
                                window.thresholds().indexBloatPercent())
                        : CatalogReader.Measure.NONE;
                snapshots.add(CatalogReader.read(sessions.get(db), db, measure));
            } catch (SQLException e) {
                if (e.getCause() instanceof PgwardenException p) {
                    // Unable to connect: keep the connection's own error code (missing database, auth, down).
                    throw p;
                }
                throw new PgwardenException(ErrorCode.PG_QUERY_FAILED, "unable to read the statistics of database '"
                        + db + "' for maintenance window '" + window.name() + "': " + Executor.describe(e), e);
            }
        }
        publishDeadTuples(new Planner(window), snapshots);
        return new Planner(window).plan(snapshots);
    }

    private void publishXidAges() {
        publishOldestXidAges(pg, metrics);
    }

    /**
     * Sets {@code pgwarden_database_oldest_xid_age} for every database of the server. The daemon's
     * health check calls it every minute too, so the wraparound alert has data on hosts without
     * maintenance windows.
     */
    public static void publishOldestXidAges(PgCluster pg, Metrics metrics) {
        pg.withConnection(CatalogReader::oldestXidAges).forEach((db, age) ->
                metrics.set(MeterNames.DATABASE_OLDEST_XID_AGE, age, "database", db));
    }

    /** The worst {@code top-tables} tables by dead tuples; tables that dropped out are set to 0. */
    private synchronized void publishDeadTuples(Planner planner, List<CatalogSnapshot> snapshots) {
        record Dead(String database, String table, long tuples) {
        }
        List<Dead> all = new ArrayList<>();
        for (CatalogSnapshot s : snapshots) {
            s.tables().stream().filter(t -> planner.covers(t.qualified()))
                    .forEach(t -> all.add(new Dead(s.database(), t.qualified(), t.deadTuples())));
        }
        all.sort(Comparator.comparingLong(Dead::tuples).reversed());
        Set<String> now = new HashSet<>();
        for (Dead d : all.subList(0, Math.min(config.topTables(), all.size()))) {
            metrics.set(MeterNames.MAINTENANCE_TABLE_DEAD_TUPLES, d.tuples(), "database", d.database(), "table",
                    d.table());
            now.add(d.database() + "\u0000" + d.table());
        }
        Set<String> scanned = new HashSet<>();
        snapshots.forEach(s -> scanned.add(s.database()));
        for (String gone : publishedDeadTuples) {
            String[] parts = gone.split("\u0000", 2);
            if (!now.contains(gone) && scanned.contains(parts[0])) {
                metrics.set(MeterNames.MAINTENANCE_TABLE_DEAD_TUPLES, 0, "database", parts[0], "table", parts[1]);
            }
        }
        publishedDeadTuples.addAll(now);
    }

    private void record(WindowReport r) {
        for (String line : r.lines()) {
            if (r.outcome().equals("completed")) {
                log.info("maintenance window '{}' run {}: {}", r.window(), r.runId(), line.strip());
            } else {
                log.warn("maintenance window '{}' run {}: {}", r.window(), r.runId(), line.strip());
            }
        }
        metrics.increment(MeterNames.MAINTENANCE_WINDOWS, "window", r.window(), "outcome", r.outcome());
        for (WindowReport.ItemResult i : r.results()) {
            String action = i.item().action().label();
            metrics.increment(MeterNames.MAINTENANCE_ITEMS, "action", action, "result", i.result().label());
            metrics.increment(MeterNames.MAINTENANCE_SECONDS, WindowReport.seconds(i.duration()), "action", action);
            metrics.increment(MeterNames.MAINTENANCE_RECLAIMED_BYTES, i.reclaimed(), "action", action);
        }
        metrics.set(MeterNames.MAINTENANCE_LAST_DEFERRED, r.count(WindowReport.Result.DEFERRED), "window", r.window());
        metrics.set(MeterNames.MAINTENANCE_LAST_RUN, r.finished().toEpochMilli() / 1000.0, "window", r.window());
        objects.ifPresent(o -> o.put(RepositoryLayout.maintenanceReport(r.window(), r.started()),
                new ByteArrayInputStream(r.toJson())));
    }

    /** One dedicated session per database, opened on first use, with the window's cost settings. */
    private final class Sessions implements Executor.Sessions, AutoCloseable {
        private final MaintenanceConfig.Window window;
        private final Map<String, Connection> open = new LinkedHashMap<>();

        Sessions(MaintenanceConfig.Window window) {
            this.window = window;
        }

        @Override
        public Connection get(String database) throws SQLException {
            Connection c = open.get(database);
            if (c != null) {
                return c;
            }
            try {
                c = pg.openDedicatedConnection(database);
            } catch (PgwardenException e) {
                throw new SQLException(e.getMessage(), "08001", e);
            }
            try (Statement st = c.createStatement()) {
                // VACUUM and the concurrent index commands refuse to run inside a transaction block.
                c.setAutoCommit(true);
                st.execute("SET vacuum_cost_delay = '" + window.costDelay().toMillis() + "ms'");
                st.execute("SET vacuum_cost_limit = " + window.costLimit());
            } catch (SQLException e) {
                closeQuietly(c);
                throw e;
            }
            open.put(database, c);
            return c;
        }

        @Override
        public void discard(String database) {
            Connection c = open.remove(database);
            if (c != null) {
                closeQuietly(c);
            }
        }

        @Override
        public void close() {
            open.values().forEach(Maintenance::closeQuietly);
            open.clear();
        }
    }

    private static void closeQuietly(Connection c) {
        try {
            c.close();
        } catch (SQLException e) {
            log.debug("closing a maintenance session: {}", e.getMessage());
        }
    }
}
