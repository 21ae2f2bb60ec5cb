package org.pgwarden.restore;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import org.pgwarden.common.ErrorCode;
import org.pgwarden.common.PgwardenException;
import org.pgwarden.pg.Lsn;
import org.pgwarden.pg.TimelineHistory;
import org.pgwarden.pg.TimelineId;
import org.pgwarden.repo.BackupInfo;
import org.pgwarden.repo.SealedObjects;
import org.pgwarden.repo.WalArchiveIndex;
import org.pgwarden.storage.ObjectInfo;

/**
 * The timeline recovery will follow and its ancestry, from the {@code .history} files in the
 * archive. PostgreSQL can recover from a backup towards a timeline only when the backup was taken
 * on it, or on an ancestor and ended no later than where that ancestor branched off; otherwise it
 * refuses to start ("requested timeline is not a child of this server's history"). Restore chooses
 * among those backups only.
 */
final class RecoveryTimeline {
    private final TimelineHistory history;

    private RecoveryTimeline(TimelineHistory history) {
        this.history = history;
    }

    /**
     * The history of the timeline {@code --target-timeline} names: a number, {@code latest} (also
     * when not given: PostgreSQL's default) or {@code current}, which follows each backup's own
     * timeline and so restricts nothing (empty).
     */
    static Optional<RecoveryTimeline> forTarget(Optional<String> targetTimeline, Iterable<BackupInfo> backups,
            WalArchiveIndex index, SealedObjects objects) {
        String asked = targetTimeline.orElse("latest");
        if (asked.equals("current")) {
            return Optional.empty();
        }
        TimelineId target;
        if (asked.equals("latest")) {
            target = newest(backups, index);
        } else {
            try {
                target = TimelineId.of(Integer.parseInt(asked));
            } catch (IllegalArgumentException e) {
                throw new PgwardenException(ErrorCode.USAGE, "--target-timeline '" + asked
                        + "' is not a timeline number, 'latest' or 'current'");
            }
        }
        return Optional.of(load(target, index, objects));
    }

    /** As PostgreSQL finds "latest": the first timeline after the backups' without a history file, less one. */
    private static TimelineId newest(Iterable<BackupInfo> backups, WalArchiveIndex index) {
        TimelineId newest = TimelineId.FIRST;
        for (BackupInfo b : backups) {
            TimelineId t = TimelineId.of(b.header().timeline());
            newest = t.compareTo(newest) > 0 ? t : newest;
        }
        while (index.find(historyFile(newest.next())).isPresent()) {
            newest = newest.next();
        }
        return newest;
    }

    static RecoveryTimeline load(TimelineId timeline, WalArchiveIndex index, SealedObjects objects) {
        if (timeline.equals(TimelineId.FIRST)) {
            return new RecoveryTimeline(TimelineHistory.root(timeline));
        }
        String name = historyFile(timeline);
        ObjectInfo info = index.find(name).orElseThrow(() -> new PgwardenException(ErrorCode.REPO_OBJECT_MISSING,
                "timeline " + timeline + " has no history file '" + name + "' in the archive",
                "check --target-timeline; 'pgwarden info' lists the archived timelines", null));
        String text;
        try (InputStream in = objects.open(info.key())) {
            text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new PgwardenException(ErrorCode.REPO_IO, "unable to read '" + info.key() + "': " + e.getMessage(), e);
        }
        try {
            return new RecoveryTimeline(TimelineHistory.parse(timeline, text));
        } catch (IllegalArgumentException e) {
            throw new PgwardenException(ErrorCode.WAL_INVALID, "'" + info.key() + "': " + e.getMessage(), e);
        }
    }

    private static String historyFile(TimelineId timeline) {
        return timeline.toHex() + ".history";
    }

    TimelineId timeline() {
        return history.timeline();
    }

    /** Whether recovery from {@code backup} can reach this timeline. */
    boolean reachableFrom(BackupInfo backup) {
        return history.reachableFrom(TimelineId.of(backup.header().timeline()), Lsn.parse(backup.header().stopLsn()));
    }
}
