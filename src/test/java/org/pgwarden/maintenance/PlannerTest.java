package org.pgwarden.maintenance;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalLong;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.pgwarden.common.ByteSize;
import org.pgwarden.config.MaintenanceConfig;
import org.pgwarden.config.MaintenanceConfig.Action;
import org.pgwarden.config.MaintenanceConfig.Thresholds;
import org.pgwarden.maintenance.CatalogSnapshot.Index;
import org.pgwarden.maintenance.CatalogSnapshot.Settings;
import org.pgwarden.maintenance.CatalogSnapshot.Table;
import org.pgwarden.maintenance.Plan.Item;
import org.pgwarden.maintenance.Plan.Need;

class PlannerTest {
    private static final long MIB = 1024 * 1024;
    private static final Instant ANALYZED = Instant.parse("2026-11-20T00:00:00Z");
    private static final Set<Action> ALL = EnumSet.allOf(Action.class);

    static MaintenanceConfig.Window window(Set<Action> actions, List<String> include, List<String> exclude,
            Thresholds thresholds) {
        return new MaintenanceConfig.Window("nightly", "0 0 2 * * ?", Duration.ofHours(1), List.of(), actions,
                include, exclude, thresholds, MaintenanceConfig.Guards.DEFAULTS, Duration.ofSeconds(1),
                Duration.ZERO, 200);
    }

    static MaintenanceConfig.Window window() {
        return window(ALL, List.of(), List.of(), Thresholds.DEFAULTS);
    }

    /** A healthy 100 MiB table: few dead tuples, fresh statistics, young. */
    static Table table(long oid, String name) {
        return new Table(oid, "public", name, false, 100 * MIB, 20 * MIB, 1_000_000, 1_000, 1_000,
                Optional.of(ANALYZED), 1_000, 10);
    }

    static Table withDead(Table t, long live, long dead, long heapBytes) {
        return new Table(t.oid(), t.schema(), t.name(), t.unlogged(), heapBytes, t.indexBytes(), live, dead,
                t.modifiedSinceAnalyze(), t.lastAnalyze(), t.xidAge(), t.multixactAge());
    }

    static Table withMods(Table t, long mods, Optional<Instant> analyzed) {
        return new Table(t.oid(), t.schema(), t.name(), t.unlogged(), t.heapBytes(), t.indexBytes(), t.liveTuples(),
                t.deadTuples(), mods, analyzed, t.xidAge(), t.multixactAge());
    }

    static Table withAge(Table t, long xid, long mxid) {
        return new Table(t.oid(), t.schema(), t.name(), t.unlogged(), t.heapBytes(), t.indexBytes(), t.liveTuples(),
                t.deadTuples(), t.modifiedSinceAnalyze(), t.lastAnalyze(), xid, mxid);
    }

    static Index index(long oid, String name, long tableOid, String table, long bytes, long expected) {
        return new Index(oid, "public", name, tableOid, table, "btree", bytes, true, false, false, 10,
                OptionalLong.of(expected), OptionalDouble.empty());
    }

    static CatalogSnapshot snapshot(String db, List<Table> tables, List<Index> indexes) {
        return new CatalogSnapshot(db, Settings.DEFAULTS, tables, indexes, Set.of());
    }

    @Test
    void ranksWraparoundFirstThenDeadTuplesThenStaleStatisticsThenBloatedIndexes() {
        Table dead = withDead(table(1, "orders"), 600_000, 400_000, 100 * MIB);
        Table stale = withMods(table(2, "events"), 500_000, Optional.of(ANALYZED));
        Table old = withAge(table(3, "ledger"), 150_000_000, 10);
        Index bloated = index(10, "orders_customer", 1, "orders", 50 * MIB, 10 * MIB);
        Plan plan = new Planner(window()).plan(List.of(snapshot("app", List.of(dead, stale, old, table(4, "quiet")),
                List.of(bloated))));
        assertThat(plan.items()).extracting(Item::rank, Item::need, Item::target).containsExactly(
                org.assertj.core.groups.Tuple.tuple(1, Need.WRAPAROUND, "public.ledger"),
                org.assertj.core.groups.Tuple.tuple(2, Need.DEAD_TUPLES, "public.orders"),
                org.assertj.core.groups.Tuple.tuple(3, Need.STALE_STATISTICS, "public.events"),
                org.assertj.core.groups.Tuple.tuple(4, Need.INDEX_BLOAT, "public.orders_customer"));
        Item wrap = plan.items().get(0);
        assertThat(wrap.sql()).isEqualTo("VACUUM (FREEZE) \"public\".\"ledger\"");
        assertThat(wrap.reason()).isEqualTo("transaction ID age 150000000 (75% of autovacuum_freeze_max_age 200000000)"
                + " reached 100000000");
        assertThat(plan.items().get(1).sql()).isEqualTo("VACUUM \"public\".\"orders\"");
        assertThat(plan.items().get(1).reason()).startsWith("400000 dead tuples (40% of 1000000), about 40.0 MiB of 100.0 MiB");
        assertThat(plan.items().get(2).sql()).isEqualTo("ANALYZE \"public\".\"events\"");
        assertThat(plan.items().get(3).sql()).isEqualTo("REINDEX INDEX CONCURRENTLY \"public\".\"orders_customer\"");
        assertThat(plan.items().get(3).reason()).startsWith("about 80% empty (40.0 MiB of 50.0 MiB, estimated");
        assertThat(plan.items()).allMatch(i -> i.estimatedBytes() > 0);
    }

    @Test
    void withinANeedTheBiggestComesFirstAcrossDatabases() {
        Table small = withDead(table(1, "a"), 500_000, 500_000, 20 * MIB);
        Table big = withDead(table(1, "b"), 800_000, 200_000, 400 * MIB);
        Table older = withAge(table(2, "c"), 120_000_000, 0);
        Table oldest = withAge(table(2, "d"), 180_000_000, 0);
        Table mx = withAge(table(3, "e"), 0, 390_000_000);
        Plan plan = new Planner(window()).plan(List.of(snapshot("one", List.of(small, older), List.of()),
                snapshot("two", List.of(big, oldest, mx), List.of())));
        assertThat(plan.items()).extracting(i -> i.database() + ":" + i.name())
                .containsExactly("two:e", "two:d", "one:c", "two:b", "one:a");
        assertThat(plan.items().get(0).reason()).startsWith("multixact ID age 390000000 (98% of"
                + " autovacuum_multixact_freeze_max_age");
    }

    @Test
    void aConfiguredWraparoundAgeReplacesHalfTheServerSetting() {
        Table young = withAge(table(1, "young"), 5_000, 0);
        Thresholds low = new Thresholds(10, ByteSize.ofMiB(8), 10, 30, OptionalLong.of(2_000));
        assertThat(new Planner(window()).plan(List.of(snapshot("db", List.of(young), List.of()))).items()).isEmpty();
        Plan plan = new Planner(window(ALL, List.of(), List.of(), low))
                .plan(List.of(snapshot("db", List.of(young), List.of())));
        assertThat(plan.items()).singleElement().satisfies(i -> assertThat(i.need()).isEqualTo(Need.WRAPAROUND));
    }

    @Test
    void thresholdsLeaveSmallAndHealthyTablesToAutovacuum() {
        Table tiny = withDead(table(1, "tiny"), 10, 90, 1 * MIB);
        Table fewDead = withDead(table(2, "few"), 950_000, 49_000, 100 * MIB);
        Table neverAnalyzedTiny = withMods(tiny, 100, Optional.empty());
        Plan plan = new Planner(window()).plan(List.of(snapshot("db", List.of(tiny, fewDead), List.of(
                index(10, "tiny_idx", 1, "tiny", 1 * MIB, 1)))));
        assertThat(plan.items()).isEmpty();
        Thresholds loose = new Thresholds(4, ByteSize.ofBytes(0), 10, 30, OptionalLong.empty());
        Plan looser = new Planner(window(ALL, List.of(), List.of(), loose))
                .plan(List.of(snapshot("db", List.of(neverAnalyzedTiny, fewDead), List.of())));
        assertThat(looser.items()).extracting(Item::name, Item::describeAction)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("few", "vacuum"),
                        org.assertj.core.groups.Tuple.tuple("tiny", "vacuum (analyze)"));
    }

    @Test
    void includeAndExcludePatternsSelectTables() {
        Table orders = withDead(table(1, "orders"), 1, 1_000, 100 * MIB);
        Table audit = withDead(table(2, "audit_log"), 1, 1_000, 100 * MIB);
        Table other = new Table(3, "billing", "invoices", false, 100 * MIB, 0, 1, 1_000, 0, Optional.of(ANALYZED), 0, 0);
        CatalogSnapshot s = snapshot("db", List.of(orders, audit, other),
                List.of(index(10, "audit_log_at", 2, "audit_log", 50 * MIB, MIB)));
        assertThat(new Planner(window(ALL, List.of("public.*"), List.of("*.audit_*"), Thresholds.DEFAULTS))
                .plan(List.of(s)).items()).extracting(Item::target).containsExactly("public.orders");
        assertThat(new Planner(window(ALL, List.of("billing.invoice?", "public.orders"), List.of(), Thresholds.DEFAULTS))
                .plan(List.of(s)).items()).extracting(Item::target).containsExactly("billing.invoices", "public.orders");
        Planner p = new Planner(window(ALL, List.of(), List.of("public.a?dit_*"), Thresholds.DEFAULTS));
        assertThat(p.covers("public.audit_log")).isFalse();
        assertThat(p.covers("public.audit")).isTrue();
        assertThat(p.covers("publicXaudit_log")).isTrue();
    }

    @Test
    void actionsLimitWhatIsPlanned() {
        Table dead = withMods(withDead(table(1, "orders"), 600_000, 400_000, 100 * MIB), 900_000, Optional.of(ANALYZED));
        Table old = withAge(table(2, "ledger"), 150_000_000, 10);
        Index bloated = index(10, "orders_customer", 1, "orders", 50 * MIB, 10 * MIB);
        CatalogSnapshot s = snapshot("db", List.of(dead, old), List.of(bloated));
        assertThat(new Planner(window(EnumSet.of(Action.ANALYZE), List.of(), List.of(), Thresholds.DEFAULTS))
                .plan(List.of(s)).items()).extracting(Item::sql).containsExactly("ANALYZE \"public\".\"orders\"");
        Plan vacuumOnly = new Planner(window(EnumSet.of(Action.VACUUM), List.of(), List.of(), Thresholds.DEFAULTS))
                .plan(List.of(s));
        assertThat(vacuumOnly.items()).extracting(Item::sql)
                .containsExactly("VACUUM \"public\".\"ledger\"", "VACUUM \"public\".\"orders\"");
        // Without FREEZE a wraparound vacuum is made aggressive instead (vacuum_freeze_table_age = 0).
        assertThat(vacuumOnly.items()).extracting(Item::aggressive, Item::describeAction).containsExactly(
                org.assertj.core.groups.Tuple.tuple(true, "vacuum (aggressive)"),
                org.assertj.core.groups.Tuple.tuple(false, "vacuum"));
        assertThat(new Planner(window(EnumSet.of(Action.VACUUM, Action.ANALYZE), List.of(), List.of(),
                Thresholds.DEFAULTS)).plan(List.of(s)).items()).extracting(Item::sql)
                .containsExactly("VACUUM \"public\".\"ledger\"", "VACUUM (ANALYZE) \"public\".\"orders\"");
        assertThat(new Planner(window(EnumSet.of(Action.REINDEX), List.of(), List.of(), Thresholds.DEFAULTS))
                .plan(List.of(s)).items()).extracting(Item::sql)
                .containsExactly("REINDEX INDEX CONCURRENTLY \"public\".\"orders_customer\"");
    }

    @Test
    void pgstattupleDensityIsPreferredToTheEstimate() {
        Index measured = new Index(10, "public", "i", 1, "orders", "btree", 50 * MIB, true, false, false, 5,
                OptionalLong.of(45 * MIB), OptionalDouble.of(45));
        Plan plan = new Planner(window()).plan(List.of(snapshot("db", List.of(table(1, "orders")), List.of(measured))));
        assertThat(plan.items()).singleElement().satisfies(i -> assertThat(i.reason())
                .isEqualTo("about 50% empty (25.0 MiB of 50.0 MiB, pgstattuple leaf density 45%)"));
        Index gin = new Index(11, "public", "g", 1, "orders", "gin", 50 * MIB, true, false, false, 5,
                OptionalLong.of(MIB), OptionalDouble.empty());
        Index unknown = new Index(12, "public", "u", 1, "orders", "btree", 50 * MIB, true, false, false, 5,
                OptionalLong.empty(), OptionalDouble.empty());
        assertThat(new Planner(window()).plan(List.of(snapshot("db", List.of(table(1, "orders")),
                List.of(gin, unknown)))).items()).isEmpty();
    }

    @Test
    void invalidIndexesAreReportedAndOnlyVerifiedLeftoversDropped() {
        Index valid = index(10, "orders_customer", 1, "orders", 10 * MIB, 10 * MIB);
        Index leftover = invalid(11, "orders_customer_ccnew", 1, "orders");
        Index leftover2 = invalid(12, "orders_customer_ccnew1", 1, "orders");
        Index old = invalid(13, "orders_customer_ccold", 1, "orders");
        Index noSibling = invalid(14, "orders_total_ccnew", 1, "orders");
        Index failedBuild = invalid(15, "orders_created", 1, "orders");
        Index otherTable = invalid(16, "orders_customer_ccnew", 2, "refunds");
        CatalogSnapshot s = snapshot("db", List.of(table(1, "orders"), table(2, "refunds")),
                List.of(valid, leftover, leftover2, old, noSibling, failedBuild, otherTable));
        Plan plan = new Planner(window()).plan(List.of(s));
        assertThat(plan.items()).extracting(Item::sql).containsExactly(
                "DROP INDEX CONCURRENTLY \"public\".\"orders_customer_ccnew\"",
                "DROP INDEX CONCURRENTLY \"public\".\"orders_customer_ccnew1\"",
                "DROP INDEX CONCURRENTLY \"public\".\"orders_customer_ccold\"");
        assertThat(plan.findings()).extracting(Plan.Finding::kind, Plan.Finding::target).containsExactlyInAnyOrder(
                org.assertj.core.groups.Tuple.tuple("invalid-index", "public.orders_total_ccnew"),
                org.assertj.core.groups.Tuple.tuple("invalid-index", "public.orders_created"),
                org.assertj.core.groups.Tuple.tuple("invalid-index", "public.orders_customer_ccnew"));
        // A build in progress on the table makes its _ccnew index look like a leftover: never dropped then.
        CatalogSnapshot building = new CatalogSnapshot("db", Settings.DEFAULTS, s.tables(), s.indexes(), Set.of(1L));
        assertThat(new Planner(window()).plan(List.of(building)).items()).isEmpty();
        // Without the reindex action leftovers are reported, not dropped.
        Plan noReindex = new Planner(window(EnumSet.of(Action.VACUUM), List.of(), List.of(), Thresholds.DEFAULTS))
                .plan(List.of(s));
        assertThat(noReindex.items()).isEmpty();
        assertThat(noReindex.findings()).filteredOn(f -> f.detail().startsWith("leftover")).hasSize(3);
    }

    @Test
    void unusedIndexesAreReportedWhenNotUniqueAndBackingNoConstraint() {
        Index unused = new Index(10, "public", "orders_note", 1, "orders", "btree", MIB, true, false, false, 0,
                OptionalLong.of(MIB), OptionalDouble.empty());
        Index unusedUnique = new Index(11, "public", "orders_code", 1, "orders", "btree", MIB, true, true, false, 0,
                OptionalLong.of(MIB), OptionalDouble.empty());
        Index unusedPk = new Index(12, "public", "orders_pkey", 1, "orders", "btree", MIB, true, true, true, 0,
                OptionalLong.of(MIB), OptionalDouble.empty());
        Plan plan = new Planner(window()).plan(List.of(snapshot("db", List.of(table(1, "orders")),
                List.of(unused, unusedUnique, unusedPk, index(13, "used", 1, "orders", MIB, MIB)))));
        assertThat(plan.findings()).singleElement().satisfies(f -> {
            assertThat(f.kind()).isEqualTo("unused-index");
            assertThat(f.target()).isEqualTo("public.orders_note");
        });
        assertThat(plan.lines()).anyMatch(l -> l.startsWith("unused-index: db public.orders_note on public.orders"));
    }

    @Test
    void identifiersAreQuoted() {
        Table odd = new Table(1, "My Schema", "we\"ird", false, 100 * MIB, 0, 1, 1_000, 0, Optional.of(ANALYZED), 0, 0);
        Plan plan = new Planner(window()).plan(List.of(snapshot("db", List.of(odd), List.of())));
        assertThat(plan.items().get(0).sql()).isEqualTo("VACUUM \"My Schema\".\"we\"\"ird\"");
    }

    private static Index invalid(long oid, String name, long tableOid, String table) {
        return new Index(oid, "public", name, tableOid, table, "btree", 10 * MIB, false, false, false, 0,
                OptionalLong.empty(), OptionalDouble.empty());
    }
}
