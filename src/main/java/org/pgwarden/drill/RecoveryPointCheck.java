package org.pgwarden.drill;

import java.util.Optional;
import org.pgwarden.pg.Lsn;
import org.pgwarden.pg.TimelineId;

/**
 * The {@code recovery-point} check: where recovery actually ended, compared with the newest WAL
 * the archive holds for it. Recovery to {@code latest} must end on the timeline the archive's WAL
 * continues on, inside its newest readable segment; ending earlier means the restored copy is
 * missing transactions the archive has (a segment recovery could not read, a wrong timeline),
 * which an operator would find out only after a real restore. A time target is only reported.
 */
final class RecoveryPointCheck {
    static final String NAME = "recovery-point";

    /** Read from the promoted copy: the timeline recovery replayed and the last LSN it applied. */
    record Recovered(TimelineId timeline, Lsn replayed, TimelineId promotedTo) {
    }

    private RecoveryPointCheck() {
    }

    static DrillReport.Check evaluate(Drill.Plan plan, boolean toEndOfArchive, Optional<Recovered> recovered) {
        if (recovered.isEmpty()) {
            return DrillReport.Check.failed(NAME, "the restored copy did not say where recovery ended"
                    + " (pg_last_wal_replay_lsn() is null)");
        }
        Recovered r = recovered.get();
        String where = "recovery replayed timeline " + r.timeline() + " up to LSN " + r.replayed() + " and promoted"
                + " to timeline " + r.promotedTo() + "; the archived WAL is readable up to LSN " + plan.walReach()
                + " on timeline " + plan.walTimeline();
        if (!toEndOfArchive) {
            return DrillReport.Check.passed(NAME, where + " (a time target ends before it)");
        }
        if (!r.timeline().equals(plan.walTimeline())) {
            return DrillReport.Check.failed(NAME, where + ": recovery ended on another timeline than the newest archived"
                    + " WAL; the restored copy lacks that timeline's transactions");
        }
        Lsn lastSegmentStart = Lsn.of(Math.max(0, plan.walReach().value() - plan.segmentSize()));
        if (r.replayed().isBefore(lastSegmentStart)) {
            return DrillReport.Check.failed(NAME, where + ": recovery stopped " + (lastSegmentStart.value()
                    - r.replayed().value()) + "+ bytes before the newest archived segment; the WAL after LSN "
                    + r.replayed() + " was archived but not replayed");
        }
        return DrillReport.Check.passed(NAME, where + " (recovery reached the newest archived segment)");
    }
}
