package org.pgwarden.restore;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import org.pgwarden.common.ErrorCode;
import org.pgwarden.common.PgwardenException;
import org.pgwarden.pg.Lsn;
import org.pgwarden.pg.TimelineId;
import org.pgwarden.repo.BackupInfo;
import org.pgwarden.repo.SealedObjects;
import org.pgwarden.repo.WalArchiveIndex;
import org.pgwarden.storage.ObjectInfo;

/**
 * The timeline recovery will follow and its ancestry, from the {@code .history} files in the
 * archive ({@code <parent timeline> <switch LSN> <reason>} per line). PostgreSQL can recover from
 * a backup towards a timeline only when the backup was taken on it, or on an ancestor and ended
 * before that ancestor branched off; otherwise it refuses to start ("requested timeline is not a
 * child of this server's history"). Restore chooses among those backups only.
 */
final class TimelineHistory {
    private final TimelineId timeline;
    /** Ancestor timeline to the LSN where its child branched off. */
    private final Map<Integer, Lsn> switchPoints;

    private TimelineHistory(TimelineId timeline, Map<Integer, Lsn> switchPoints) {
        this.timeline = timeline;
        this.switchPoints = switchPoints;
    }

    /**
     * The history of the timeline {@code --target-timeline} names: a number, {@code latest} (also
     * when not given: PostgreSQL's default) or {@code current}, which follows each backup's own
     * timeline and so restricts nothing (empty).
     */
    static Optional<TimelineHistory> forTarget(Optional<String> targetTimeline, Iterable<BackupInfo> backups,
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

    static TimelineHistory load(TimelineId timeline, WalArchiveIndex index, SealedObjects objects) {
        Map<Integer, Lsn> switchPoints = new HashMap<>();
        if (timeline.equals(TimelineId.FIRST)) {
            return new TimelineHistory(timeline, switchPoints);
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
        for (String line : text.split("\n")) {
            String trimmed = line.strip();
            if (trimmed.isEmpty() || trimmed.startsWith("#")) {
                continue;
            }
            String[] fields = trimmed.split("\\s+");
            try {
                switchPoints.put(Integer.parseInt(fields[0]), Lsn.parse(fields[1]));
            } catch (RuntimeException e) {
                throw new PgwardenException(ErrorCode.WAL_INVALID, "'" + info.key() + "' has a line that is not"
                        + " '<timeline> <switch LSN> <reason>': '" + trimmed + "'", e);
            }
        }
        return new TimelineHistory(timeline, switchPoints);
    }

    private static String historyFile(TimelineId timeline) {
        return timeline.toHex() + ".history";
    }

    TimelineId timeline() {
        return timeline;
    }

    /** Whether recovery from {@code backup} can reach this timeline. */
    boolean reachableFrom(BackupInfo backup) {
        int on = backup.header().timeline();
        if (on == timeline.value()) {
            return true;
        }
        Lsn branch = switchPoints.get(on);
        return branch != null && !Lsn.parse(backup.header().stopLsn()).isAfter(branch);
    }
}
