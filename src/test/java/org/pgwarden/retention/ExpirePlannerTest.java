package org.pgwarden.retention;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import org.pgwarden.pg.Lsn;
import org.pgwarden.pg.TimelineId;
import org.pgwarden.pg.WalSegmentName;
import org.pgwarden.repo.BackupLabel;
import org.pgwarden.repo.BackupType;
import org.pgwarden.repo.LockOwner;
import org.pgwarden.repo.RepositoryLayout;
import org.pgwarden.repo.WalArchiveIndex;
import org.pgwarden.retention.RepositoryListing.StoredObject;
import org.pgwarden.storage.ObjectKey;
import org.junit.jupiter.api.Test;

/** Focused examples of the planner's rules; {@link ExpirePlannerPropertiesTest} covers the invariants broadly. */
class ExpirePlannerTest {
    private static final int SEG = 16 << 20;
    private static final Instant DAY0 = Instant.parse("2026-11-01T02:00:00Z");
    private static final Instant NOW = Instant.parse("2026-11-24T12:00:00Z");

    /** Builds listings: backups each one day apart, WAL segment numbers chosen per backup. */
    private static final class Repo {
        final List<RepositoryListing.Backup> backups = new ArrayList<>();
        final List<RepositoryListing.Wal> wal = new ArrayList<>();
        final List<RepositoryListing.Unfinished> unfinished = new ArrayList<>();
        Optional<Instant> lockedUntil = Optional.empty();
        Optional<LockOwner> writer = Optional.empty();

        BackupLabel full(int day, long segment, int timeline, Map<String, String> annotations) {
            BackupLabel l = BackupLabel.newFull(DAY0.plus(Duration.ofDays(day)));
            add(l, Optional.empty(), segment, timeline, annotations, Set.of());
            return l;
        }

        BackupLabel full(int day, long segment) {
            return full(day, segment, 1, Map.of());
        }

        BackupLabel child(BackupLabel parent, BackupType type, int day, long segment, ObjectKey... extraRefs) {
            BackupLabel l = BackupLabel.newIncremental(parent, DAY0.plus(Duration.ofDays(day)), type);
            Set<ObjectKey> refs = new HashSet<>(find(parent).references());
            refs.addAll(List.of(extraRefs));
            add(l, Optional.of(parent), segment, find(parent).timeline(), Map.of(), refs);
            return l;
        }

        private void add(BackupLabel l, Optional<BackupLabel> parent, long segment, int timeline,
                Map<String, String> annotations, Set<ObjectKey> inherited) {
            Instant start = l.time();
            StoredObject bundle = object(RepositoryLayout.bundle(l, 1), 1000, start);
            StoredObject manifest = object(RepositoryLayout.manifest(l), 10, start.plusSeconds(600));
            Set<ObjectKey> refs = new HashSet<>(inherited);
            refs.add(bundle.key());
            backups.add(new RepositoryListing.Backup(l, parent, start, start.plusSeconds(600), Lsn.of(segment * SEG + 40),
                    timeline, annotations, refs, List.of(bundle, manifest), manifest));
        }

        RepositoryListing.Backup find(BackupLabel l) {
            return backups.stream().filter(b -> b.label().equals(l)).findFirst().orElseThrow();
        }

        void segments(int timeline, long first, long last) {
            for (long s = first; s <= last; s++) {
                walFile(WalSegmentName.ofSegmentNumber(TimelineId.of(timeline), s, SEG));
            }
        }

        void walFile(WalSegmentName name) {
            wal.add(new RepositoryListing.Wal(name, object(WalArchiveIndex.key(name.toString(), "00112233445566778899"),
                    SEG, DAY0)));
        }

        StoredObject object(ObjectKey key, long size, Instant at) {
            return new StoredObject(key, size, at, lockedUntil);
        }

        ExpirePlan plan(RetentionPolicy policy) {
            return ExpirePlanner.plan(listing(), NOW, policy);
        }

        RepositoryListing listing() {
            return new RepositoryListing(SEG, backups, unfinished, RepositoryListing.WalArchive.of(wal), writer);
        }

        /** The WAL file names a run of {@code plan} deletes. */
        List<String> walDeleted(ExpirePlan plan) {
            return wal.stream().filter(plan::deletes).map(w -> w.name().toString()).sorted().toList();
        }
    }

    private static List<String> labels(List<ExpirePlan.Expired> expired) {
        return expired.stream().map(e -> e.label().toString()).toList();
    }

    private static List<String> reasons(ExpirePlan plan, BackupLabel label) {
        return plan.kept().stream().filter(k -> k.label().equals(label)).findFirst().orElseThrow().reasons();
    }

    @Test
    void keepsTheNewestFullsWithTheirChainsAndTheWalFromTheOldestKeptStart() {
        Repo repo = new Repo();
        BackupLabel f1 = repo.full(0, 10);
        BackupLabel d1 = repo.child(f1, BackupType.DIFF, 1, 12);
        BackupLabel i1 = repo.child(d1, BackupType.INCR, 2, 14);
        BackupLabel f2 = repo.full(3, 20);
        BackupLabel i2 = repo.child(f2, BackupType.INCR, 4, 22);
        repo.segments(1, 9, 25);
        repo.walFile(WalSegmentName.parse("000000010000000000000014.00000028.backup"));

        ExpirePlan plan = repo.plan(RetentionPolicy.fullCount(1));

        assertThat(labels(plan.expired())).containsExactly(f1.toString(), d1.toString(), i1.toString());
        assertThat(plan.kept()).extracting(ExpirePlan.Kept::label).containsExactly(f2, i2);
        assertThat(reasons(plan, f2)).contains("one of the 1 newest full backups (retention.full.count)");
        assertThat(reasons(plan, i2)).contains("newest backup",
                "incremental of kept full " + f2 + " (retention.incr: with-full)");
        assertThat(plan.manifests()).extracting(o -> o.key().value()).containsExactly(
                "backup/" + f1 + "/manifest", "backup/" + d1 + "/manifest", "backup/" + i1 + "/manifest");
        // f2 starts in segment 20 (0x14): segments 9..19 go, its backup history file stays.
        assertThat(plan.walRanges()).containsExactly(new ExpirePlan.WalRange(1,
                WalSegmentName.parse("000000010000000000000009"), WalSegmentName.parse("000000010000000000000013"),
                11, 11L * SEG));
        assertThat(plan.bytesFreed()).isEqualTo(3 * 1010 + 11L * SEG);
    }

    @Test
    void aKeptBackupKeepsTheBackupsWhoseObjectsItNamesEvenOutsideItsParentChain() {
        Repo repo = new Repo();
        BackupLabel f1 = repo.full(0, 10);
        BackupLabel d1 = repo.child(f1, BackupType.DIFF, 1, 12);
        BackupLabel d2 = repo.child(f1, BackupType.DIFF, 2, 14, RepositoryLayout.bundle(d1, 1));
        ExpirePlan plan = repo.plan(new RetentionPolicy(OptionalInt.of(1), OptionalInt.empty(), OptionalInt.of(1),
                OptionalInt.empty()));
        assertThat(plan.expired()).isEmpty();
        assertThat(reasons(plan, d1)).containsExactly("holds data of kept backup " + d2);
    }

    @Test
    void pinnedBackupsSurviveUntilTheirDateAndKeepTheirWal() {
        Repo repo = new Repo();
        BackupLabel forever = repo.full(0, 10, 1, Map.of("keep", "forever"));
        BackupLabel untilToday = repo.full(1, 12, 1, Map.of("keep", "2026-11-24"));
        BackupLabel lapsed = repo.full(2, 14, 1, Map.of("keep", "2026-11-23"));
        BackupLabel typo = repo.full(3, 16, 1, Map.of("keep", "2026-13-01"));
        BackupLabel newest = repo.full(4, 18);
        repo.segments(1, 8, 20);
        ExpirePlan plan = repo.plan(RetentionPolicy.fullCount(1));
        assertThat(labels(plan.expired())).containsExactly(lapsed.toString());
        assertThat(reasons(plan, forever)).containsExactly("pinned (keep=forever)");
        assertThat(reasons(plan, untilToday)).containsExactly("pinned until 2026-11-24 (keep=2026-11-24)");
        assertThat(reasons(plan, typo)).singleElement().asString().contains("neither 'forever' nor a date");
        assertThat(reasons(plan, newest)).contains("newest backup");
        // WAL before the forever-pinned full's start goes; from there on it all stays.
        assertThat(repo.walDeleted(plan)).containsExactly("000000010000000000000008", "000000010000000000000009");
    }

    @Test
    void recoveryWindowKeepsTheFullThatRecoversToItsStart() {
        Repo repo = new Repo();
        repo.full(0, 10);
        BackupLabel beforeWindow = repo.full(10, 12); // Nov 11: before the window of 7 days from Nov 24 12:00
        BackupLabel inside = repo.full(20, 14);
        ExpirePlan plan = repo.plan(new RetentionPolicy(OptionalInt.empty(), OptionalInt.of(7), OptionalInt.empty(),
                OptionalInt.empty()));
        assertThat(labels(plan.expired())).containsExactly(BackupLabel.newFull(DAY0).toString());
        assertThat(reasons(plan, beforeWindow)).containsExactly(
                "recovers to the start of the 7-day recovery window (retention.full.days)");
        assertThat(reasons(plan, inside)).contains("inside the 7-day recovery window (retention.full.days)");
    }

    @Test
    void walOfEarlierTimelinesGoesButHistoryFilesAndLaterTimelinesStay() {
        Repo repo = new Repo();
        repo.full(0, 10, 1, Map.of());
        BackupLabel onTwo = repo.full(1, 30, 2, Map.of());
        repo.segments(1, 9, 31);
        repo.walFile(WalSegmentName.parse("00000001000000000000001F.partial"));
        repo.walFile(WalSegmentName.parse("00000002.history"));
        repo.walFile(WalSegmentName.parse("00000003.history"));
        repo.segments(2, 28, 40);
        repo.segments(3, 35, 36);
        ExpirePlan plan = repo.plan(RetentionPolicy.fullCount(1));
        assertThat(plan.kept()).extracting(ExpirePlan.Kept::label).containsExactly(onTwo);
        assertThat(plan.walRanges()).extracting(ExpirePlan.WalRange::timeline, r -> r.first().toString(),
                r -> r.last().toString(), ExpirePlan.WalRange::count).containsExactly(
                org.assertj.core.groups.Tuple.tuple(1, "000000010000000000000009", "00000001000000000000001F.partial", 24L),
                org.assertj.core.groups.Tuple.tuple(2, "00000002000000000000001C", "00000002000000000000001D", 2L));
        assertThat(repo.walDeleted(plan)).hasSize(26).noneMatch(n -> n.endsWith(".history"));
    }

    @Test
    void objectLockedBackupsAndWalAreLeftInPlaceAndReported() {
        Repo repo = new Repo();
        repo.lockedUntil = Optional.of(NOW.plus(Duration.ofDays(3)));
        BackupLabel old = repo.full(0, 10);
        repo.segments(1, 9, 12);
        repo.lockedUntil = Optional.of(NOW.minusSeconds(1));
        repo.full(1, 20);
        ExpirePlan plan = repo.plan(RetentionPolicy.fullCount(1));
        assertThat(plan.expired()).isEmpty();
        assertThat(reasons(plan, old)).singleElement().asString()
                .startsWith("object lock retains 2 of its objects until " + NOW.plus(Duration.ofDays(3)));
        // Segment 9 is older than any kept backup needs, but its lock has not ended either.
        assertThat(repo.walDeleted(plan)).isEmpty();
        assertThat(plan.lockedObjects()).extracting(o -> WalArchiveIndex.fileName(o.key()))
                .containsExactly("000000010000000000000009");
    }

    @Test
    void unfinishedBackupsAreGarbageOnlyWhenOldAndNobodyHoldsTheLock() {
        Repo repo = new Repo();
        repo.full(0, 10);
        BackupLabel stale = BackupLabel.newFull(NOW.minus(Duration.ofDays(2)));
        BackupLabel recent = BackupLabel.newFull(NOW.minus(Duration.ofHours(2)));
        repo.unfinished.add(new RepositoryListing.Unfinished(stale,
                List.of(repo.object(RepositoryLayout.bundle(stale, 1), 5, stale.time()))));
        repo.unfinished.add(new RepositoryListing.Unfinished(recent,
                List.of(repo.object(RepositoryLayout.bundle(recent, 1), 5, recent.time()))));
        ExpirePlan plan = repo.plan(RetentionPolicy.fullCount(1));
        assertThat(plan.unfinished()).containsExactly(stale);
        assertThat(plan.objects()).extracting(StoredObject::key).containsExactly(RepositoryLayout.bundle(stale, 1));

        repo.writer = Optional.of(new LockOwner("db1", 77, Optional.empty(), NOW, "1.0"));
        assertThat(repo.plan(RetentionPolicy.fullCount(1)).unfinished()).isEmpty();
    }

    @Test
    void withoutBackupsNoWalIsDeleted() {
        Repo repo = new Repo();
        repo.segments(1, 1, 5);
        ExpirePlan plan = repo.plan(RetentionPolicy.fullCount(1));
        assertThat(plan.isEmpty()).isTrue();
        assertThat(plan.kept()).isEmpty();
    }

    @Test
    void diffAndIncrCountsKeepTheNewestOfKeptFullsOnly() {
        Repo repo = new Repo();
        BackupLabel f1 = repo.full(0, 10);
        BackupLabel d1 = repo.child(f1, BackupType.DIFF, 1, 11);
        BackupLabel d2 = repo.child(f1, BackupType.DIFF, 2, 12);
        BackupLabel i1 = repo.child(d2, BackupType.INCR, 3, 13);
        BackupLabel d3 = repo.child(f1, BackupType.DIFF, 4, 14);
        ExpirePlan plan = repo.plan(new RetentionPolicy(OptionalInt.of(1), OptionalInt.empty(), OptionalInt.of(1),
                OptionalInt.of(1)));
        // d3 is the one newest diff; i1 the one newest incr, which keeps its parent d2.
        assertThat(labels(plan.expired())).containsExactly(d1.toString());
        assertThat(reasons(plan, d2)).containsExactly("parent of kept backup " + i1);
        assertThat(reasons(plan, d3)).contains("one of the 1 newest differentials (retention.diff.count)");
    }
}
