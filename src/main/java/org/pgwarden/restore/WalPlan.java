package org.pgwarden.restore;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;
import java.util.stream.Stream;
import org.pgwarden.pg.Lsn;
import org.pgwarden.pg.TimelineHistory;
import org.pgwarden.pg.TimelineId;
import org.pgwarden.pg.WalSegmentName;

/**
 * The WAL a recovery replays, checked against what the archive holds before anything is
 * written: which segments are needed along the timeline path (following history files), which of
 * them are archived without a hole, where the reachable WAL ends, and whether that is enough for
 * the target. Pure: the archive comes in as sorted segment listings per timeline.
 *
 * @param spans          the archived, contiguous segments recovery will read, in replay order
 * @param stageSpans     the part of {@code spans} worth staging ahead (for a time target, up to the
 *                       first segment archived after the target; see {@link #compute})
 * @param firstMissing   the first segment the path needs that is not archived, if any before the
 *                       target (for open targets: only a hole, never the end of the archive)
 * @param walAfterMissing whether archived WAL exists on the path after {@code firstMissing} (a
 *                       hole rather than the end of the archive)
 * @param reachable      the end of the WAL recovery can read: the start of the first segment it
 *                       cannot have
 * @param reachableAt    when the last readable segment was stored (the repository's timestamp),
 *                       an upper bound of the time of the last transaction recovery can replay
 */
public record WalPlan(List<Span> spans, List<Span> stageSpans, Optional<WalSegmentName> firstMissing,
        boolean walAfterMissing, Lsn reachable, Optional<Instant> reachableAt, int segmentSize) {

    /**
     * How far repository timestamps and the database's clock may disagree before a time target is
     * judged to lie after the reachable WAL: a false failure would block a restore that works, so
     * the doubt goes to a warning.
     */
    public static final Duration CLOCK_TOLERANCE = Duration.ofMinutes(1);

    /** Archived segments {@code first..last} (segment numbers) of one timeline. */
    public record Span(TimelineId timeline, long first, long last) {
        public long count() {
            return last - first + 1;
        }
    }

    /** One archived segment as a listing shows it. */
    public record Archived(long number, Instant storedAt) {
    }

    /** Whether recovery to the target can work with this WAL, and what to say if not quite. */
    public enum Severity { ERROR, WARNING }

    public record Problem(Severity severity, String message, String hint) {
    }

    public long segments(List<Span> of) {
        return of.stream().mapToLong(Span::count).sum();
    }

    /**
     * Walks the path and the archive together, stopping at the first hole.
     *
     * @param path        the stretches of timelines recovery follows ({@link TimelineHistory#pathFrom})
     * @param end         the last position recovery must read (an LSN target, or the backup's stop
     *                    for {@code immediate}); empty to read to the end of the archive
     * @param stageUntil  for a time target: staging stops after the first segment stored after this
     * @param archive     per timeline, its archived segments in ascending order (callers close nothing:
     *                    each stream is consumed or abandoned by this method, which closes it)
     */
    public static WalPlan compute(List<TimelineHistory.Stretch> path, Optional<Lsn> end, Optional<Instant> stageUntil,
            int segmentSize, Function<TimelineId, Stream<Archived>> archive) {
        if (path.isEmpty()) {
            throw new IllegalArgumentException("empty timeline path");
        }
        long need = path.get(0).begin().segmentNumber(segmentSize);
        long endSegment = end.map(l -> l.segmentNumber(segmentSize)).orElse(Long.MAX_VALUE);
        List<Span> spans = new ArrayList<>();
        List<Span> stage = new ArrayList<>();
        boolean staging = true;
        Optional<Instant> lastStored = Optional.empty();
        for (int i = 0; i < path.size() && need <= endSegment; i++) {
            TimelineHistory.Stretch s = path.get(i);
            // A child timeline's first segment is its own copy of the switch segment, so an ancestor
            // is read up to the segment before the one holding its switch point.
            long last = Math.min(endSegment, s.end().map(e -> e.segmentNumber(segmentSize) - 1).orElse(Long.MAX_VALUE));
            long first = Math.max(need, s.begin().segmentNumber(segmentSize));
            if (first > last) {
                continue;
            }
            long expected = first;
            long spanStart = first;
            long stageEnd = -1;
            boolean hole = false;
            try (Stream<Archived> listed = archive.apply(s.timeline())) {
                Iterator<Archived> it = listed.iterator();
                while (it.hasNext()) {
                    Archived a = it.next();
                    if (a.number() < expected) {
                        continue;
                    }
                    if (a.number() > last) {
                        break;
                    }
                    if (a.number() > expected) {
                        hole = true;
                        break;
                    }
                    lastStored = Optional.of(a.storedAt());
                    if (staging) {
                        stageEnd = a.number();
                        if (stageUntil.isPresent() && a.storedAt().isAfter(stageUntil.get())) {
                            staging = false;
                        }
                    }
                    expected++;
                }
            }
            if (expected > spanStart) {
                spans.add(new Span(s.timeline(), spanStart, expected - 1));
            }
            if (stageEnd >= spanStart) {
                stage.add(new Span(s.timeline(), spanStart, stageEnd));
            }
            boolean bounded = last != Long.MAX_VALUE;
            if (hole || (bounded && expected <= last)) {
                boolean after = hole || archivedAfter(path, i, expected, endSegment, segmentSize, archive);
                return new WalPlan(spans, stage, Optional.of(WalSegmentName.ofSegmentNumber(s.timeline(), expected,
                        segmentSize)), after, Lsn.of(expected * segmentSize), lastStored, segmentSize);
            }
            need = expected;
        }
        return new WalPlan(spans, stage, Optional.empty(), false, Lsn.of(need * segmentSize), lastStored, segmentSize);
    }

    /** Whether any segment the path needs after {@code missing} (on stretch {@code from} or later) is archived. */
    private static boolean archivedAfter(List<TimelineHistory.Stretch> path, int from, long missing, long endSegment,
            int segmentSize, Function<TimelineId, Stream<Archived>> archive) {
        for (int i = from; i < path.size(); i++) {
            TimelineHistory.Stretch s = path.get(i);
            long first = Math.max(missing + 1, s.begin().segmentNumber(segmentSize));
            long last = Math.min(endSegment, s.end().map(e -> e.segmentNumber(segmentSize) - 1).orElse(Long.MAX_VALUE));
            if (first > last) {
                continue;
            }
            try (Stream<Archived> listed = archive.apply(s.timeline())) {
                if (listed.anyMatch(a -> a.number() >= first && a.number() <= last)) {
                    return true;
                }
            }
        }
        return false;
    }

    /**
     * Whether recovery from a backup that is consistent at {@code stop} can reach {@code target}
     * with this WAL: an error when it certainly cannot, a warning when it stops short or may.
     */
    public Optional<Problem> problem(RecoveryTarget target, Lsn stop) {
        String reach = "the archived WAL is readable up to LSN " + reachable + reachableAt.map(t -> " (its last"
                + " segment was stored at " + t + ", so transactions up to about then are recoverable)").orElse("");
        if (firstMissing.isPresent() && !reachable.isAfter(stop)) {
            return Optional.of(new Problem(Severity.ERROR, "WAL segment " + firstMissing.get() + " is not archived,"
                    + " and the backup needs it to become consistent (it ends at LSN " + stop + "); " + reach,
                    "the backup cannot be recovered: choose another one with --set (see 'pgwarden info'), or put the"
                            + " segment back into the repository"));
        }
        if (firstMissing.isEmpty()) {
            if (target instanceof RecoveryTarget.Time t && reachableAt.isPresent()
                    && t.at().isAfter(reachableAt.get().plus(CLOCK_TOLERANCE))) {
                return Optional.of(new Problem(Severity.WARNING, "target " + target.describe() + " is after the"
                        + " newest archived WAL: " + reach, "PostgreSQL stops with 'recovery ended before configured"
                        + " recovery target was reached' unless the WAL after LSN " + reachable + " is archived before"
                        + " recovery gets there"));
            }
            return Optional.empty();
        }
        String missing = "WAL segment " + firstMissing.get() + " is not archived" + (walAfterMissing
                ? " although later WAL is" : "") + "; " + reach;
        if (target instanceof RecoveryTarget.Lsn) {
            return Optional.of(new Problem(Severity.ERROR, "recovery to " + target.describe() + " cannot succeed: "
                    + missing, walAfterMissing ? "choose a target before LSN " + reachable + ", or put the segment"
                    + " back into the repository" : "choose a target before LSN " + reachable + ", or wait until the"
                    + " WAL up to the target is archived (pg_switch_wal() on the primary)"));
        }
        if (target instanceof RecoveryTarget.Time t && reachableAt.isPresent()
                && t.at().isAfter(reachableAt.get().plus(CLOCK_TOLERANCE))) {
            return Optional.of(new Problem(Severity.ERROR, "recovery to " + target.describe() + " cannot succeed: "
                    + missing, "choose a target time before " + reachableAt.get() + ", or put the segment back into"
                    + " the repository"));
        }
        if (target instanceof RecoveryTarget.Latest) {
            return Optional.of(new Problem(Severity.WARNING, "recovery will stop at LSN " + reachable + " and not"
                    + " replay the rest of the archive: " + missing, "put the segment back into the repository to"
                    + " recover further"));
        }
        return Optional.of(new Problem(Severity.WARNING, "recovery to " + target.describe() + " works only if the"
                + " target lies before LSN " + reachable + ": " + missing, "if PostgreSQL stops with 'recovery ended"
                + " before configured recovery target was reached', the target is past the missing segment"));
    }
}
