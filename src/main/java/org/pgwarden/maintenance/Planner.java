package org.pgwarden.maintenance;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.pgwarden.common.ByteSize;
import org.pgwarden.config.MaintenanceConfig;
import org.pgwarden.config.MaintenanceConfig.Action;
import org.pgwarden.config.MaintenanceConfig.Thresholds;
import org.pgwarden.maintenance.CatalogSnapshot.Index;
import org.pgwarden.maintenance.CatalogSnapshot.Table;
import org.pgwarden.maintenance.Plan.Finding;
import org.pgwarden.maintenance.Plan.Item;
import org.pgwarden.maintenance.Plan.Need;

/**
 * Ranks the work of a window from catalog statistics; pure, so every rule is unit-tested with
 * hand-built snapshots. Order: tables in wraparound danger (closest to the server's forced
 * anti-wraparound vacuum first), leftovers of failed concurrent index builds (cheap to drop, and
 * every write pays for them), tables by estimated dead bytes (dead share × size), tables by rows
 * modified since their last analyze, and B-tree indexes by estimated empty bytes. A table gets at
 * most one table item: a vacuum that is planned anyway also analyzes when statistics are stale.
 */
public final class Planner {
    /** B-tree leaf pages are built 90% full (the default fillfactor): a fresh index has that density. */
    static final double FRESH_LEAF_DENSITY = 90.0;
    /** ANALYZE samples 300 × default_statistics_target (100) rows, at most one page each. */
    static final long ANALYZE_SAMPLE_PAGES = 30_000;
    private static final Pattern LEFTOVER = Pattern.compile("(.+)_cc(new|old)[0-9]*");

    private final MaintenanceConfig.Window window;
    private final List<Pattern> include;
    private final List<Pattern> exclude;

    public Planner(MaintenanceConfig.Window window) {
        this.window = window;
        this.include = window.include().stream().map(Planner::glob).toList();
        this.exclude = window.exclude().stream().map(Planner::glob).toList();
    }

    /** The ranked plan over the snapshots of every database of the window. */
    public Plan plan(List<CatalogSnapshot> snapshots) {
        List<Scored> scored = new ArrayList<>();
        List<Finding> findings = new ArrayList<>();
        for (CatalogSnapshot s : snapshots) {
            tables(s, scored);
            indexes(s, scored, findings);
        }
        scored.sort(Comparator.comparing((Scored x) -> x.item.need())
                .thenComparing(Comparator.comparingDouble((Scored x) -> x.score).reversed())
                .thenComparing(x -> x.item.database())
                .thenComparing(x -> x.item.target()));
        List<Item> items = new ArrayList<>();
        for (Scored x : scored) {
            items.add(x.item.ranked(items.size() + 1));
        }
        return new Plan(window.name(), items, findings);
    }

    /** Whether the window works on {@code schema.table}: included (or no include list) and not excluded. */
    public boolean covers(String qualified) {
        return (include.isEmpty() || include.stream().anyMatch(p -> p.matcher(qualified).matches()))
                && exclude.stream().noneMatch(p -> p.matcher(qualified).matches());
    }

    private record Scored(Item item, double score) {
    }

    private void tables(CatalogSnapshot s, List<Scored> out) {
        Thresholds t = window.thresholds();
        long xidLimit = t.wraparoundAge().orElse(s.settings().freezeMaxAge() / 2);
        long mxidLimit = t.wraparoundAge().orElse(s.settings().multixactFreezeMaxAge() / 2);
        boolean vacuum = window.allows(Action.VACUUM);
        boolean freeze = window.allows(Action.FREEZE);
        boolean analyze = window.allows(Action.ANALYZE);
        for (Table tb : s.tables()) {
            if (!covers(tb.qualified())) {
                continue;
            }
            long bytes = tb.heapBytes() + tb.indexBytes();
            boolean stale = stale(tb);
            if ((vacuum || freeze) && (tb.xidAge() >= xidLimit || tb.multixactAge() >= mxidLimit)) {
                double xidShare = tb.xidAge() / (double) Math.max(1, s.settings().freezeMaxAge());
                double mxidShare = tb.multixactAge() / (double) Math.max(1, s.settings().multixactFreezeMaxAge());
                String reason = tb.xidAge() >= xidLimit
                        ? "transaction ID age " + tb.xidAge() + " (" + percent(xidShare)
                                + " of autovacuum_freeze_max_age " + s.settings().freezeMaxAge() + ") reached "
                                + xidLimit
                        : "multixact ID age " + tb.multixactAge() + " (" + percent(mxidShare)
                                + " of autovacuum_multixact_freeze_max_age " + s.settings().multixactFreezeMaxAge()
                                + ") reached " + mxidLimit;
                out.add(new Scored(item(s, tb, Need.WRAPAROUND, Plan.Action.VACUUM, freeze, analyze && stale,
                        reason, bytes), Math.max(xidShare, mxidShare)));
                continue;
            }
            if (tb.heapBytes() < t.minTableSize().bytes()) {
                continue;
            }
            long all = tb.liveTuples() + tb.deadTuples();
            double dead = all == 0 ? 0 : tb.deadTuples() / (double) all;
            if (vacuum && tb.deadTuples() > 0 && dead * 100 >= t.deadTuplePercent()) {
                long deadBytes = (long) (dead * tb.heapBytes());
                out.add(new Scored(item(s, tb, Need.DEAD_TUPLES, Plan.Action.VACUUM, false, analyze && stale,
                        tb.deadTuples() + " dead tuples (" + percent(dead) + " of " + all + "), about "
                                + ByteSize.ofBytes(deadBytes).toHuman() + " of " + ByteSize.ofBytes(tb.heapBytes())
                                .toHuman(), bytes), deadBytes));
                continue;
            }
            if (analyze && stale) {
                String reason = tb.lastAnalyze().isEmpty() ? "never analyzed, " + tb.liveTuples() + " rows"
                        : tb.modifiedSinceAnalyze() + " rows modified since the last analyze ("
                                + percent(tb.modifiedSinceAnalyze() / (double) Math.max(1, tb.liveTuples()))
                                + " of " + tb.liveTuples() + ")";
                long cost = Math.min(tb.heapBytes(), ANALYZE_SAMPLE_PAGES * s.settings().blockSize());
                out.add(new Scored(item(s, tb, Need.STALE_STATISTICS, Plan.Action.ANALYZE, false, false, reason, cost),
                        tb.modifiedSinceAnalyze()));
            }
        }
    }

    private boolean stale(Table tb) {
        if (tb.liveTuples() + tb.deadTuples() == 0 && tb.modifiedSinceAnalyze() == 0) {
            return false;
        }
        if (tb.lastAnalyze().isEmpty()) {
            return true;
        }
        return tb.modifiedSinceAnalyze() > 0
                && tb.modifiedSinceAnalyze() * 100.0 >= window.thresholds().staleStatisticsPercent()
                        * (double) Math.max(1, tb.liveTuples());
    }

    private void indexes(CatalogSnapshot s, List<Scored> out, List<Finding> findings) {
        Thresholds t = window.thresholds();
        boolean reindex = window.allows(Action.REINDEX);
        Map<String, Index> byName = new HashMap<>();
        s.indexes().forEach(i -> byName.put(i.tableOid() + "/" + i.name(), i));
        Map<Long, Long> heapBytes = new HashMap<>();
        s.tables().forEach(tb -> heapBytes.put(tb.oid(), tb.heapBytes()));
        for (Index i : s.indexes()) {
            String table = i.schema() + "." + i.table();
            if (!covers(table)) {
                continue;
            }
            if (!i.valid()) {
                String leftoverOf = leftoverOf(s, i, byName);
                if (leftoverOf != null && reindex) {
                    out.add(new Scored(new Item(0, s.database(), Need.LEFTOVER, Plan.Action.DROP_INDEX, i.oid(),
                            i.schema(), i.name(), table, false, false, "invalid leftover of a failed concurrent"
                                    + " rebuild of '" + leftoverOf + "', which is valid", i.bytes()), i.bytes()));
                } else {
                    findings.add(new Finding(s.database(), "invalid-index", i.qualified(), table, i.bytes(),
                            leftoverOf != null ? "leftover of a failed concurrent rebuild of '" + leftoverOf
                                    + "'; dropped by a window with the 'reindex' action"
                                    : "invalid (a failed CREATE INDEX CONCURRENTLY?): never reindexed by a window;"
                                            + " find out why it failed, then drop it or rebuild it by hand"));
                }
                continue;
            }
            if (i.scans() == 0 && !i.unique() && !i.constraint()) {
                findings.add(new Finding(s.database(), "unused-index", i.qualified(), table, i.bytes(),
                        "no scans since the statistics were last reset; not unique and backs no constraint"
                                + " (reported only, never dropped)"));
            }
            if (!reindex || !i.method().equals("btree") || i.bytes() < t.minTableSize().bytes()
                    || s.buildingTables().contains(i.tableOid())) {
                continue;
            }
            OptionalDouble bloat = bloat(i);
            if (bloat.isPresent() && bloat.getAsDouble() * 100 >= t.indexBloatPercent()) {
                long empty = (long) (bloat.getAsDouble() * i.bytes());
                String how = i.leafDensity().isPresent()
                        ? "pgstattuple leaf density " + Math.round(i.leafDensity().getAsDouble()) + "%"
                        : "estimated from table statistics";
                out.add(new Scored(new Item(0, s.database(), Need.INDEX_BLOAT, Plan.Action.REINDEX, i.oid(),
                        i.schema(), i.name(), table, false, false, "about " + percent(bloat.getAsDouble())
                                + " empty (" + ByteSize.ofBytes(empty).toHuman() + " of "
                                + ByteSize.ofBytes(i.bytes()).toHuman() + ", " + how + ")",
                        // A concurrent rebuild scans the table twice and writes the new index.
                        2 * heapBytes.getOrDefault(i.tableOid(), 0L) + i.bytes() - empty), empty));
            }
        }
    }

    /** The share of an index that is empty space: measured when pgstattuple did, else estimated. */
    static OptionalDouble bloat(Index i) {
        if (i.leafDensity().isPresent()) {
            return OptionalDouble.of(Math.max(0, 1 - i.leafDensity().getAsDouble() / FRESH_LEAF_DENSITY));
        }
        if (i.expectedBytes().isEmpty() || i.bytes() <= 0) {
            return OptionalDouble.empty();
        }
        return OptionalDouble.of(Math.max(0, 1 - i.expectedBytes().getAsLong() / (double) i.bytes()));
    }

    /**
     * The name of the valid index {@code i} is a leftover of, or null. A leftover is invalid, named
     * like REINDEX CONCURRENTLY names its temporary copies ({@code <name>_ccnew}, {@code _ccold},
     * with a number when taken), sits on the same table as a valid index of that name, and no index
     * build runs on the table (a rebuild in progress has a {@code _ccnew} index too).
     */
    static String leftoverOf(CatalogSnapshot s, Index i, Map<String, Index> byName) {
        Matcher m = LEFTOVER.matcher(i.name());
        if (i.valid() || !m.matches() || s.buildingTables().contains(i.tableOid())) {
            return null;
        }
        Index sibling = byName.get(i.tableOid() + "/" + m.group(1));
        return sibling != null && sibling.valid() ? sibling.name() : null;
    }

    private Item item(CatalogSnapshot s, Table tb, Need need, Plan.Action action, boolean freeze, boolean analyze,
            String reason, long bytes) {
        return new Item(0, s.database(), need, action, tb.oid(), tb.schema(), tb.name(), tb.qualified(), freeze,
                analyze, reason, bytes);
    }

    private static String percent(double share) {
        return String.format(Locale.ROOT, "%.0f%%", share * 100);
    }

    /** {@code *} any characters, {@code ?} one; everything else literal. */
    static Pattern glob(String pattern) {
        StringBuilder re = new StringBuilder();
        for (char c : pattern.toCharArray()) {
            switch (c) {
                case '*' -> re.append(".*");
                case '?' -> re.append('.');
                default -> re.append(Pattern.quote(String.valueOf(c)));
            }
        }
        return Pattern.compile(re.toString());
    }
}
