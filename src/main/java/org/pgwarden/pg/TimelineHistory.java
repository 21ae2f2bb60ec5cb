package org.pgwarden.pg;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A timeline's ancestry, as PostgreSQL writes it to {@code <timeline>.history} at promotion: one
 * line per ancestor, {@code <timeline> <switch LSN> <reason>}, oldest first. Timeline {@code T}
 * of an entry holds WAL up to its switch LSN; the next entry's timeline (or the history's own
 * timeline for the last entry) continues from there.
 */
public record TimelineHistory(TimelineId timeline, List<Entry> ancestors) {

    /** An ancestor timeline and the position where its child branched off. */
    public record Entry(TimelineId timeline, Lsn switchPoint) {
    }

    /** A stretch of the recovery path: WAL of {@code timeline} from {@code begin}, up to {@code end} if bounded. */
    public record Stretch(TimelineId timeline, Lsn begin, Optional<Lsn> end) {
    }

    public TimelineHistory {
        ancestors = List.copyOf(ancestors);
    }

    /** The history of timeline 1, or of any timeline whose history file is absent: no ancestors. */
    public static TimelineHistory root(TimelineId timeline) {
        return new TimelineHistory(timeline, List.of());
    }

    /**
     * Parses the content of {@code <timeline>.history}. Blank lines and {@code #} comments are
     * skipped, as PostgreSQL does; anything else malformed is an error naming the line.
     */
    public static TimelineHistory parse(TimelineId timeline, String content) {
        List<Entry> entries = new ArrayList<>();
        int number = 0;
        for (String line : content.split("\n", -1)) {
            number++;
            String t = line.strip();
            if (t.isEmpty() || t.startsWith("#")) {
                continue;
            }
            String[] fields = t.split("\\s+", 3);
            try {
                if (fields.length < 2) {
                    throw new IllegalArgumentException("expected '<timeline> <switch LSN> <reason>'");
                }
                TimelineId tli = TimelineId.of(Integer.parseInt(fields[0]));
                Lsn at = Lsn.parse(fields[1]);
                if (!entries.isEmpty() && (tli.compareTo(entries.get(entries.size() - 1).timeline()) <= 0
                        || at.isBefore(entries.get(entries.size() - 1).switchPoint()))) {
                    throw new IllegalArgumentException("timelines and switch points must increase");
                }
                if (tli.compareTo(timeline) >= 0) {
                    throw new IllegalArgumentException("ancestor " + tli + " is not older than " + timeline);
                }
                entries.add(new Entry(tli, at));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("line " + number + " of the history of timeline " + timeline
                        + " is invalid: " + e.getMessage() + " ('" + t + "')", e);
            }
        }
        return new TimelineHistory(timeline, entries);
    }

    /**
     * The WAL recovery replays from {@code start} on {@code from} to reach this timeline, in order:
     * the ancestor stretches bounded by their switch points, then this timeline unbounded. Empty
     * when {@code from} is not on this history, or when it branched off before {@code start}
     * (PostgreSQL refuses both: the timeline is not a child of the backup's history).
     */
    public List<Stretch> pathFrom(TimelineId from, Lsn start) {
        List<Stretch> path = new ArrayList<>();
        Lsn begin = start;
        boolean on = false;
        for (Entry e : ancestors) {
            if (e.timeline().equals(from)) {
                if (!e.switchPoint().isAfter(start)) {
                    return List.of();
                }
                on = true;
            }
            if (on) {
                path.add(new Stretch(e.timeline(), begin, Optional.of(e.switchPoint())));
                begin = e.switchPoint();
            }
        }
        if (!on && !from.equals(timeline)) {
            return List.of();
        }
        path.add(new Stretch(timeline, begin, Optional.empty()));
        return path;
    }
}
