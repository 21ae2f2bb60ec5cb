package org.pgwarden.config;

import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.Set;
import org.pgwarden.common.ByteSize;

/**
 * Maintenance windows: when extra {@code VACUUM}, {@code ANALYZE} and {@code REINDEX ...
 * CONCURRENTLY} may run, on what, and what stops them.
 *
 * @param windows   the windows, each started by its own cron schedule
 * @param topTables how many of the tables with the most dead tuples are exported as metrics
 *                  (labelled by table name, so the number is bounded here)
 */
public record MaintenanceConfig(List<Window> windows, int topTables) {
    static final int DEFAULT_TOP_TABLES = 5;

    public MaintenanceConfig {
        windows = List.copyOf(windows);
    }

    /** What a window may do; {@code FREEZE} makes wraparound vacuums {@code VACUUM (FREEZE)}. */
    public enum Action { VACUUM, ANALYZE, FREEZE, REINDEX }

    /**
     * One window.
     *
     * @param name        names the window in logs, metrics ({@code window} label) and the repository
     * @param start       Quartz cron expression of the window's start
     * @param duration    how long the window stays open; no statement runs past its end
     * @param databases   the databases worked on; empty: every connectable non-template database
     * @param actions     what the window may run
     * @param include     {@code schema.table} glob patterns ({@code *}, {@code ?}); empty: every table
     * @param exclude     {@code schema.table} glob patterns never touched, even when included
     * @param thresholds  when a table or an index needs work
     * @param guards      what pauses the window
     * @param lockTimeout a lock not granted within this is given up and the item skipped
     * @param costDelay   {@code vacuum_cost_delay} for the window's statements
     * @param costLimit   {@code vacuum_cost_limit} for the window's statements
     */
    public record Window(String name, String start, Duration duration, List<String> databases, Set<Action> actions,
            List<String> include, List<String> exclude, Thresholds thresholds, Guards guards, Duration lockTimeout,
            Duration costDelay, int costLimit) {
        public Window {
            databases = List.copyOf(databases);
            actions = actions.isEmpty() ? Set.of() : Set.copyOf(EnumSet.copyOf(actions));
            include = List.copyOf(include);
            exclude = List.copyOf(exclude);
        }

        public boolean allows(Action a) {
            return actions.contains(a);
        }
    }

    /**
     * When work is planned. Percentages are whole numbers from 1 to 100.
     *
     * @param deadTuplePercent       vacuum a table whose dead tuples are at least this share of its tuples
     * @param minTableSize           smaller tables (and indexes) are left to autovacuum; wraparound ignores it
     * @param staleStatisticsPercent analyze a table whose rows modified since the last analyze are at
     *                               least this share of its rows (or that was never analyzed)
     * @param indexBloatPercent      reindex an index estimated to be at least this share empty space
     * @param wraparoundAge          freeze a table whose oldest unfrozen transaction ID is this old; empty:
     *                               half of the server's {@code autovacuum_freeze_max_age} (and of
     *                               {@code autovacuum_multixact_freeze_max_age} for multixacts)
     */
    public record Thresholds(int deadTuplePercent, ByteSize minTableSize, int staleStatisticsPercent,
            int indexBloatPercent, OptionalLong wraparoundAge) {
        public static final Thresholds DEFAULTS = new Thresholds(10, ByteSize.ofMiB(8), 10, 30, OptionalLong.empty());
    }

    /**
     * What pauses a window before its next item; when a guard still holds at the window end, the
     * rest is deferred.
     *
     * @param maxReplicationLag  a standby further behind than this (bytes of WAL not replayed) pauses
     * @param maxActiveSessions  more active client sessions than this pauses
     * @param skipDuringBackup   a running backup of this daemon (or a base backup) pauses
     * @param recheckInterval    how often a paused window checks its guards again
     */
    public record Guards(Optional<ByteSize> maxReplicationLag, OptionalInt maxActiveSessions, boolean skipDuringBackup,
            Duration recheckInterval) {
        public static final Guards DEFAULTS = new Guards(Optional.empty(), OptionalInt.empty(), true,
                Duration.ofSeconds(30));
    }

    static final Duration DEFAULT_LOCK_TIMEOUT = Duration.ofSeconds(2);
    static final Duration DEFAULT_COST_DELAY = Duration.ofMillis(2);
    static final int DEFAULT_COST_LIMIT = 200;
    private static final String NAME = "[a-z0-9][a-z0-9_-]{0,62}";
    private static final String PATTERN = "[A-Za-z0-9_$*?]+\\.[A-Za-z0-9_$*?]+";

    public Optional<Window> window(String name) {
        return windows.stream().filter(w -> w.name().equals(name)).findFirst();
    }

    static MaintenanceConfig bind(ConfigNode n) {
        List<Window> windows = new ArrayList<>();
        Set<String> names = new HashSet<>();
        for (ConfigNode w : n.sectionList("windows")) {
            Window window = window(w);
            if (window.name() != null && !names.add(window.name())) {
                w.problem("name", "window '" + window.name() + "' is defined twice; window names must be unique");
            }
            windows.add(window);
        }
        int top = n.integer("top-tables", DEFAULT_TOP_TABLES, 0, 50);
        n.done();
        return new MaintenanceConfig(windows, top);
    }

    private static Window window(ConfigNode w) {
        String name = w.requiredString("name");
        if (name != null && !name.matches(NAME)) {
            w.problem("name", "expected lowercase letters, digits, '-' or '_' (at most 63, starting with a letter or"
                    + " digit), got '" + name + "'");
        }
        Optional<String> start = w.cron("start");
        if (start.isEmpty() && !w.has("start")) {
            w.problem("start", "must not be empty (a Quartz cron expression such as '0 0 2 * * ?')");
        }
        Duration duration = null;
        if (!w.has("duration")) {
            w.problem("duration", "must not be empty (how long the window stays open, e.g. '2h')");
        } else {
            duration = w.duration("duration", null, Duration.ofSeconds(1));
            if (duration != null && duration.compareTo(Duration.ofDays(7)) > 0) {
                w.problem("duration", "must be at most 7d, got " + org.pgwarden.common.Durations.format(duration));
            }
        }
        List<String> databases = w.stringList("databases");
        for (String db : databases) {
            if (db.isBlank()) {
                w.problem("databases", "expected database names, got an empty one");
            }
        }
        Set<Action> actions = actions(w);
        List<String> include = patterns(w, "include");
        List<String> exclude = patterns(w, "exclude");
        Thresholds thresholds = thresholds(w.section("thresholds"));
        Guards guards = guards(w.section("guards"));
        Duration lockTimeout = w.duration("lock-timeout", DEFAULT_LOCK_TIMEOUT, Duration.ofMillis(10));
        if (lockTimeout != null && lockTimeout.compareTo(Duration.ofMinutes(1)) > 0) {
            w.problem("lock-timeout", "must be at most 1m (a longer wait queues application sessions behind"
                    + " maintenance), got " + org.pgwarden.common.Durations.format(lockTimeout));
        }
        Duration costDelay = w.duration("cost-delay", DEFAULT_COST_DELAY, Duration.ZERO);
        if (costDelay != null && costDelay.compareTo(Duration.ofMillis(100)) > 0) {
            w.problem("cost-delay", "must be between 0ms and 100ms (PostgreSQL's range for vacuum_cost_delay), got "
                    + org.pgwarden.common.Durations.format(costDelay));
        }
        int costLimit = w.integer("cost-limit", DEFAULT_COST_LIMIT, 1, 10_000);
        w.done();
        return new Window(name, start.orElse(null), duration, databases, actions, include, exclude, thresholds,
                guards, lockTimeout, costDelay, costLimit);
    }

    private static Set<Action> actions(ConfigNode w) {
        if (!w.has("actions")) {
            w.stringList("actions");
            return EnumSet.of(Action.VACUUM, Action.ANALYZE, Action.FREEZE);
        }
        Set<Action> out = EnumSet.noneOf(Action.class);
        for (String a : w.stringList("actions")) {
            try {
                out.add(Action.valueOf(a.trim().toUpperCase(Locale.ROOT)));
            } catch (IllegalArgumentException e) {
                w.problem("actions", "expected any of 'vacuum', 'analyze', 'freeze', 'reindex', got '" + a + "'");
            }
        }
        if (out.isEmpty()) {
            w.problem("actions", "must name at least one of 'vacuum', 'analyze', 'freeze', 'reindex'");
        }
        return out;
    }

    private static List<String> patterns(ConfigNode w, String key) {
        List<String> out = w.stringList(key);
        for (String p : out) {
            if (!p.matches(PATTERN)) {
                w.problem(key, "expected 'schema.table' with '*' or '?' as wildcards (e.g. 'public.*'), got '"
                        + p + "'");
            }
        }
        return out;
    }

    private static Thresholds thresholds(ConfigNode t) {
        Thresholds d = Thresholds.DEFAULTS;
        int dead = t.integer("dead-tuple-percent", d.deadTuplePercent(), 1, 100);
        ByteSize min = t.size("min-table-size", d.minTableSize(), ByteSize.ofBytes(0),
                ByteSize.ofBytes(Long.MAX_VALUE / 2));
        int stale = t.integer("stale-statistics-percent", d.staleStatisticsPercent(), 1, 100);
        int bloat = t.integer("index-bloat-percent", d.indexBloatPercent(), 1, 100);
        OptionalLong wrap = OptionalLong.empty();
        if (t.has("wraparound-age")) {
            // PostgreSQL stops assigning transaction IDs at about 2^31 - 3 million.
            wrap = OptionalLong.of(t.integer("wraparound-age", 100_000_000, 1_000, 2_000_000_000));
        }
        t.done();
        return new Thresholds(dead, min, stale, bloat, wrap);
    }

    private static Guards guards(ConfigNode g) {
        Optional<ByteSize> lag = g.has("max-replication-lag")
                ? Optional.ofNullable(g.size("max-replication-lag", null, ByteSize.ofBytes(0),
                        ByteSize.ofBytes(Long.MAX_VALUE / 2)))
                : Optional.empty();
        OptionalInt sessions = g.has("max-active-sessions")
                ? OptionalInt.of(g.integer("max-active-sessions", 0, 0, 100_000)) : OptionalInt.empty();
        boolean backup = g.bool("skip-during-backup", true);
        Duration recheck = g.duration("recheck-interval", Guards.DEFAULTS.recheckInterval(), Duration.ofMillis(100));
        g.done();
        return new Guards(lag, sessions, backup, recheck);
    }

    /** No windows: nothing is scheduled, {@code pgwarden maintain} has nothing to run. */
    public static MaintenanceConfig defaults() {
        return new MaintenanceConfig(List.of(), DEFAULT_TOP_TABLES);
    }
}
