package org.pgwarden.backup;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import org.pgwarden.common.ErrorCode;
import org.pgwarden.common.PgwardenException;
import org.pgwarden.job.JobContext;
import org.pgwarden.pg.Lsn;
import org.pgwarden.pg.TimelineId;
import org.pgwarden.pg.WalSegmentName;
import org.pgwarden.repo.WalArchiveIndex;

/**
 * Waits until every WAL segment from a backup's start to its stop is in the repository: without
 * them the copied files are not a consistent cluster, so the backup must not be committed.
 */
final class WalWait {
    private final WalArchiveIndex index;
    private final int segmentSize;
    private final Duration timeout;
    private final Clock clock;

    WalWait(WalArchiveIndex index, int segmentSize, Duration timeout, Clock clock) {
        this.index = index;
        this.segmentSize = segmentSize;
        this.timeout = timeout;
        this.clock = clock;
    }

    void await(TimelineId timeline, Lsn start, Lsn stop, JobContext context) {
        WalSegmentName first = WalSegmentName.of(timeline, start, segmentSize);
        WalSegmentName last = WalSegmentName.of(timeline, stop, segmentSize);
        Instant deadline = clock.instant().plus(timeout);
        WalSegmentName next = first;
        while (true) {
            while (index.find(next.toString()).isPresent()) {
                if (next.equals(last)) {
                    return;
                }
                next = next.next(segmentSize);
            }
            if (!clock.instant().isBefore(deadline)) {
                throw new PgwardenException(ErrorCode.WAL_NOT_ARCHIVED, "WAL segment '" + next + "' needed by the backup"
                        + " (from " + start + " to " + stop + ") did not reach the repository within "
                        + timeout.toSeconds() + "s",
                        "check archive_command and pg_stat_archiver; the backup was not committed", null);
            }
            context.checkCancelled();
            try {
                Thread.sleep(200);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new PgwardenException(ErrorCode.CANCELLED, "interrupted while waiting for WAL", e);
            }
        }
    }
}
