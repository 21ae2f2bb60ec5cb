package org.pgwarden.restore;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.pgwarden.common.ErrorCode;
import org.pgwarden.common.PgwardenException;
import org.pgwarden.pg.Lsn;
import org.pgwarden.pg.TimelineHistory;
import org.pgwarden.pg.TimelineId;
import org.pgwarden.pg.WalSegmentName;
import org.pgwarden.repo.ManifestHeader;
import org.pgwarden.repo.SealedObjects;
import org.pgwarden.repo.VerifiedFile;
import org.pgwarden.repo.WalArchiveIndex;
import org.pgwarden.storage.ObjectInfo;

/**
 * Reads what {@link WalPlan} needs from the repository: the timeline recovery will follow
 * (resolved the way PostgreSQL resolves {@code recovery_target_timeline}), its history file, and
 * the archive listing of each timeline on the path. Only listings and history files are read.
 */
public final class WalCheck {
    /**
     * @param timeline the timeline recovery ends on
     * @param history  the history files recovery reads (the path's timelines after the first), to stage
     */
    public record Result(WalPlan plan, TimelineId timeline, List<ObjectInfo> history, Optional<WalPlan.Problem> problem) {
    }

    private final WalArchiveIndex index;
    private final SealedObjects objects;
    private final int segmentSize;

    WalCheck(WalArchiveIndex index, SealedObjects objects, int segmentSize) {
        this.index = index;
        this.objects = objects;
        this.segmentSize = segmentSize;
    }

    Result check(ManifestHeader backup, RecoveryTarget target, Optional<String> targetTimeline) {
        TimelineId from = TimelineId.of(backup.timeline());
        Lsn start = Lsn.parse(backup.startLsn());
        Lsn stop = Lsn.parse(backup.stopLsn());
        TimelineId to = resolve(from, targetTimeline);
        TimelineHistory history = to.value() == 1 ? TimelineHistory.root(to) : readHistory(to, from);
        List<TimelineHistory.Stretch> path = history.pathFrom(from, start);
        if (path.isEmpty()) {
            throw new PgwardenException(ErrorCode.WAL_TIMELINE, "timeline " + to + " does not continue the history of"
                    + " backup " + backup.label() + " (timeline " + from + ", from LSN " + start + ")",
                    "give --target-timeline " + from + " (or 'current') to stay on the backup's timeline, or choose"
                            + " a backup taken on the history of timeline " + to, null);
        }
        Optional<Lsn> end = target instanceof RecoveryTarget.Lsn l ? Optional.of(l.lsn())
                : target instanceof RecoveryTarget.Immediate ? Optional.of(stop) : Optional.empty();
        Optional<Instant> stageUntil = target instanceof RecoveryTarget.Time t
                ? Optional.of(t.at().plus(WalPlan.CLOCK_TOLERANCE)) : Optional.empty();
        WalPlan plan = WalPlan.compute(path, end, stageUntil, segmentSize, this::segments);
        List<ObjectInfo> historyFiles = new ArrayList<>();
        for (TimelineHistory.Stretch s : path) {
            if (s.timeline().value() > 1) {
                index.find(WalSegmentName.history(s.timeline()).toString()).ifPresent(historyFiles::add);
            }
        }
        return new Result(plan, to, historyFiles, plan.problem(target, stop));
    }

    /** As PostgreSQL: a number, {@code current} (the backup's), or {@code latest} (the default since 12). */
    private TimelineId resolve(TimelineId from, Optional<String> requested) {
        String r = requested.orElse("latest").strip();
        if (r.equals("current")) {
            return from;
        }
        if (r.equals("latest")) {
            // PostgreSQL probes the next timeline's history file until one is missing.
            TimelineId t = from;
            while (index.find(WalSegmentName.history(t.next()).toString()).isPresent()) {
                t = t.next();
            }
            return t;
        }
        try {
            long v = r.startsWith("0x") || r.startsWith("0X") ? Long.parseLong(r.substring(2), 16) : Long.parseLong(r);
            return TimelineId.of(Math.toIntExact(v));
        } catch (RuntimeException e) {
            throw new PgwardenException(ErrorCode.USAGE, "--target-timeline '" + r + "' is not a timeline number,"
                    + " 'current' or 'latest'");
        }
    }

    private TimelineHistory readHistory(TimelineId timeline, TimelineId from) {
        String name = WalSegmentName.history(timeline).toString();
        Optional<ObjectInfo> found = index.find(name);
        if (found.isEmpty()) {
            if (timeline.equals(from)) {
                return TimelineHistory.root(timeline); // the path stays on the backup's own timeline
            }
            throw new PgwardenException(ErrorCode.WAL_GAP, "timeline history file '" + name + "' is not archived,"
                    + " so recovery cannot follow timeline " + timeline, "choose another --target-timeline", null);
        }
        String key = found.get().key().toString();
        try (InputStream in = objects.open(found.get().key())) {
            byte[] content = in.readAllBytes();
            VerifiedFile.requireChecksum(HexFormat.of().formatHex(sha256(content)),
                    WalArchiveIndex.checksumPrefix(found.get().key()), key);
            return TimelineHistory.parse(timeline, new String(content, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new PgwardenException(ErrorCode.REPO_IO, "unable to read WAL object '" + key + "': " + e, e);
        } catch (IllegalArgumentException e) {
            throw new PgwardenException(ErrorCode.WAL_INVALID, "WAL object '" + key + "': " + e.getMessage(), e);
        }
    }

    /** The archived segments of one timeline in ascending order; history and partial files are skipped. */
    private Stream<WalPlan.Archived> segments(TimelineId timeline) {
        return listSegments(index, timeline).map(o -> new WalPlan.Archived(
                WalSegmentName.parse(WalArchiveIndex.fileName(o.key())).segmentNumber(segmentSize), o.lastModified()));
    }

    static Stream<ObjectInfo> listSegments(WalArchiveIndex index, TimelineId timeline) {
        return index.list(timeline.toHex()).filter(o -> WalArchiveIndex.fileName(o.key()).length() == 24);
    }

    private static byte[] sha256(byte[] content) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(content);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
