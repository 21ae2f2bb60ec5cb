package org.pgwarden.restore;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.stream.LongStream;
import java.util.stream.Stream;
import org.pgwarden.pg.Lsn;
import org.pgwarden.pg.TimelineHistory;
import org.pgwarden.pg.TimelineId;
import org.junit.jupiter.api.Test;

/** The continuity check on synthetic archives: 16 MiB segments, segment n stored n minutes after T0. */
class WalPlanTest {
    private static final int SIZE = 16 << 20;
    private static final Instant T0 = Instant.parse("2026-11-24T08:00:00Z");
    private static final TimelineId TL1 = TimelineId.of(1);
    private static final TimelineId TL2 = TimelineId.of(2);
    private static final Lsn START = Lsn.parse("0/2000028");
    private static final Lsn STOP = Lsn.parse("0/3000100");

    private static Function<TimelineId, Stream<WalPlan.Archived>> archive(Map<TimelineId, long[]> segments) {
        return tl -> LongStream.of(segments.getOrDefault(tl, new long[0]))
                .mapToObj(n -> new WalPlan.Archived(n, T0.plusSeconds(60 * n)));
    }

    private static List<TimelineHistory.Stretch> onOneTimeline() {
        return TimelineHistory.root(TL1).pathFrom(TL1, START);
    }

    private static WalPlan plan(Map<TimelineId, long[]> segments, Optional<Lsn> end) {
        return WalPlan.compute(onOneTimeline(), end, Optional.empty(), SIZE, archive(segments));
    }

    @Test
    void contiguousArchiveReachesItsEnd() {
        WalPlan p = plan(Map.of(TL1, new long[]{1, 2, 3, 4, 5, 6}), Optional.empty());
        assertThat(p.spans()).containsExactly(new WalPlan.Span(TL1, 2, 6));
        assertThat(p.firstMissing()).isEmpty();
        assertThat(p.reachable()).isEqualTo(Lsn.parse("0/7000000"));
        assertThat(p.reachableAt()).contains(T0.plusSeconds(360));
        assertThat(p.problem(RecoveryTarget.latest(), STOP)).isEmpty();
        assertThat(p.problem(new RecoveryTarget.Time(T0.plusSeconds(300)), STOP)).isEmpty();
    }

    @Test
    void aHoleBeforeAnLsnTargetIsAnErrorNamingTheSegmentAndTheLastReachableLsn() {
        Map<TimelineId, long[]> holed = Map.of(TL1, new long[]{2, 3, 5, 6});
        WalPlan p = plan(holed, Optional.of(Lsn.parse("0/6000100")));
        assertThat(p.firstMissing()).hasValueSatisfying(m -> assertThat(m).hasToString("000000010000000000000004"));
        assertThat(p.walAfterMissing()).isTrue();
        assertThat(p.reachable()).isEqualTo(Lsn.parse("0/4000000"));
        WalPlan.Problem problem = p.problem(new RecoveryTarget.Lsn(Lsn.parse("0/6000100")), STOP).orElseThrow();
        assertThat(problem.severity()).isEqualTo(WalPlan.Severity.ERROR);
        assertThat(problem.message()).contains("000000010000000000000004").contains("0/4000000")
                .contains("although later WAL is").contains(T0.plusSeconds(180).toString());

        // a target before the hole needs nothing from it
        WalPlan before = plan(holed, Optional.of(Lsn.parse("0/3800000")));
        assertThat(before.firstMissing()).isEmpty();
        assertThat(before.spans()).containsExactly(new WalPlan.Span(TL1, 2, 3));
        assertThat(before.problem(new RecoveryTarget.Lsn(Lsn.parse("0/3800000")), STOP)).isEmpty();
    }

    @Test
    void aHoleBeforeTheBackupIsConsistentFailsWhateverTheTarget() {
        WalPlan p = plan(Map.of(TL1, new long[]{2, 4, 5}), Optional.empty());
        assertThat(p.firstMissing()).hasValueSatisfying(m -> assertThat(m).hasToString("000000010000000000000003"));
        for (RecoveryTarget t : List.of(RecoveryTarget.latest(), RecoveryTarget.immediate(),
                new RecoveryTarget.Xid(1234))) {
            assertThat(p.problem(t, STOP)).hasValueSatisfying(pr -> {
                assertThat(pr.severity()).isEqualTo(WalPlan.Severity.ERROR);
                assertThat(pr.message()).contains("to become consistent");
            });
        }
        WalPlan nothing = plan(Map.of(), Optional.of(STOP));
        assertThat(nothing.firstMissing()).hasValueSatisfying(m -> assertThat(m).hasToString("000000010000000000000002"));
        assertThat(nothing.problem(RecoveryTarget.immediate(), STOP).orElseThrow().severity())
                .isEqualTo(WalPlan.Severity.ERROR);
    }

    @Test
    void latestWithAHoleWarnsWithTheLastReachableLsn() {
        WalPlan p = plan(Map.of(TL1, new long[]{2, 3, 5, 6}), Optional.empty());
        WalPlan.Problem pr = p.problem(RecoveryTarget.latest(), STOP).orElseThrow();
        assertThat(pr.severity()).isEqualTo(WalPlan.Severity.WARNING);
        assertThat(pr.message()).contains("recovery will stop at LSN 0/4000000").contains("000000010000000000000004");
        assertThat(p.spans()).containsExactly(new WalPlan.Span(TL1, 2, 3));
    }

    @Test
    void timeTargetsPastTheHoleFailAndOnesThatMayBeBeforeItWarn() {
        WalPlan p = plan(Map.of(TL1, new long[]{2, 3, 5, 6}), Optional.empty());
        // segment 3, the last readable one, was stored at T0+3min: nothing later can be replayed
        assertThat(p.problem(new RecoveryTarget.Time(T0.plusSeconds(600)), STOP).orElseThrow().severity())
                .isEqualTo(WalPlan.Severity.ERROR);
        assertThat(p.problem(new RecoveryTarget.Time(T0.plusSeconds(200)), STOP).orElseThrow().severity())
                .isEqualTo(WalPlan.Severity.WARNING);
        assertThat(p.problem(new RecoveryTarget.Name("before-upgrade"), STOP).orElseThrow().severity())
                .isEqualTo(WalPlan.Severity.WARNING);
    }

    @Test
    void theEndOfTheArchiveIsNoHoleButAnLsnTargetBeyondItCannotBeReached() {
        WalPlan open = plan(Map.of(TL1, new long[]{2, 3}), Optional.empty());
        assertThat(open.firstMissing()).isEmpty();
        assertThat(open.problem(new RecoveryTarget.Time(T0.plusSeconds(3600)), STOP).orElseThrow().severity())
                .isEqualTo(WalPlan.Severity.WARNING);

        WalPlan past = plan(Map.of(TL1, new long[]{2, 3}), Optional.of(Lsn.parse("0/9000000")));
        assertThat(past.walAfterMissing()).isFalse();
        WalPlan.Problem pr = past.problem(new RecoveryTarget.Lsn(Lsn.parse("0/9000000")), STOP).orElseThrow();
        assertThat(pr.severity()).isEqualTo(WalPlan.Severity.ERROR);
        assertThat(pr.hint()).contains("pg_switch_wal()");
    }

    @Test
    void followsATimelineSwitchReadingTheSwitchSegmentFromTheChild() {
        TimelineHistory two = TimelineHistory.parse(TL2, "1\t0/5000100\tpromoted\n");
        List<TimelineHistory.Stretch> path = two.pathFrom(TL1, START);
        // timeline 1 went on after the switch (segments 5, 6); timeline 2 starts with its own copy of segment 5
        Map<TimelineId, long[]> archived = Map.of(TL1, new long[]{2, 3, 4, 5, 6}, TL2, new long[]{5, 6, 7, 8});
        WalPlan p = WalPlan.compute(path, Optional.empty(), Optional.empty(), SIZE, archive(archived));
        assertThat(p.spans()).containsExactly(new WalPlan.Span(TL1, 2, 4), new WalPlan.Span(TL2, 5, 8));
        assertThat(p.firstMissing()).isEmpty();
        assertThat(p.reachable()).isEqualTo(Lsn.parse("0/9000000"));

        WalPlan parentHole = WalPlan.compute(path, Optional.empty(), Optional.empty(), SIZE,
                archive(Map.of(TL1, new long[]{2, 3, 5, 6}, TL2, new long[]{5, 6, 7, 8})));
        assertThat(parentHole.firstMissing()).hasValueSatisfying(m -> assertThat(m).hasToString(
                "000000010000000000000004"));
        assertThat(parentHole.walAfterMissing()).isTrue();

        WalPlan childHole = WalPlan.compute(path, Optional.empty(), Optional.empty(), SIZE,
                archive(Map.of(TL1, new long[]{2, 3, 4, 5, 6}, TL2, new long[]{6, 7, 8})));
        assertThat(childHole.firstMissing()).hasValueSatisfying(m -> assertThat(m).hasToString(
                "000000020000000000000005"));
        assertThat(childHole.spans()).containsExactly(new WalPlan.Span(TL1, 2, 4));
    }

    @Test
    void stagingForATimeTargetStopsAfterTheFirstSegmentStoredAfterIt() {
        WalPlan p = WalPlan.compute(onOneTimeline(), Optional.empty(), Optional.of(T0.plusSeconds(250)), SIZE,
                archive(Map.of(TL1, new long[]{2, 3, 4, 5, 6, 7})));
        assertThat(p.spans()).containsExactly(new WalPlan.Span(TL1, 2, 7));
        assertThat(p.stageSpans()).containsExactly(new WalPlan.Span(TL1, 2, 5));
        assertThat(p.segments(p.stageSpans())).isEqualTo(4);
    }
}
