package org.pgwarden.retention;

import java.time.Instant;
import java.util.List;
import java.util.OptionalInt;
import java.util.stream.Stream;
import org.pgwarden.pg.WalSegmentName;
import org.pgwarden.repo.BackupLabel;
import org.pgwarden.retention.RepositoryListing.StoredObject;

/**
 * What expire deletes and keeps, and why. The executor deletes {@link #manifests} first (so a
 * backup stops being visible before anything it needs goes), then {@link #objects}, then the WAL
 * {@link #walRule} selects. WAL is described by that rule and per-timeline ranges rather than
 * listed file by file, because an archive may hold millions of files. Every list is sorted, so two
 * plans of the same listing are equal.
 *
 * @param now           the time the plan was made for
 * @param expired       backups whose manifest and objects are deleted
 * @param kept          every backup that stays, each with the reasons it stays
 * @param unfinished    prefixes of interrupted backups removed as garbage
 * @param manifests     manifests of {@code expired}, deleted first
 * @param objects       the other objects of {@code expired} and {@code unfinished}
 * @param walRule       which WAL files are no longer needed
 * @param walRanges     the WAL the rule deletes, per timeline, as listed when planning
 * @param lockedObjects objects the plan would delete but an object lock still retains: left in place
 */
public record ExpirePlan(Instant now, List<Expired> expired, List<Kept> kept, List<BackupLabel> unfinished,
        List<StoredObject> manifests, List<StoredObject> objects, WalRule walRule, List<WalRange> walRanges,
        List<StoredObject> lockedObjects) {

    public ExpirePlan {
        expired = List.copyOf(expired);
        kept = List.copyOf(kept);
        unfinished = List.copyOf(unfinished);
        manifests = List.copyOf(manifests);
        objects = List.copyOf(objects);
        walRanges = List.copyOf(walRanges);
        lockedObjects = List.copyOf(lockedObjects);
    }

    /** A backup that goes, and the bytes its objects take. */
    public record Expired(BackupLabel label, Instant stopTime, long bytes) {
    }

    /** A backup that stays, with every reason it stays (at least one). */
    public record Kept(BackupLabel label, List<String> reasons) {
        public Kept {
            reasons = List.copyOf(reasons);
        }
    }

    /** Deleted WAL of one timeline: {@code count} files from {@code first} to {@code last} in name order. */
    public record WalRange(int timeline, WalSegmentName first, WalSegmentName last, long count, long bytes) {
    }

    /**
     * The WAL no kept backup needs: every file of a timeline below {@code timeline}, and those of
     * {@code timeline} in segments before {@code fromSegment}; never a timeline history file.
     * Without a timeline (no backup kept) nothing is deleted.
     */
    public record WalRule(OptionalInt timeline, long fromSegment, int segmentSize) {
        public static WalRule keepAll(int segmentSize) {
            return new WalRule(OptionalInt.empty(), 0, segmentSize);
        }

        public boolean deletes(WalSegmentName name) {
            if (timeline.isEmpty() || name.kind() == WalSegmentName.Kind.HISTORY) {
                return false;
            }
            int tl = name.timeline().value();
            int lowest = timeline.getAsInt();
            return tl < lowest || tl == lowest && name.segmentNumber(segmentSize) < fromSegment;
        }
    }

    /** Whether a run deletes {@code wal}: the rule selects it and no object lock retains it. */
    public boolean deletes(RepositoryListing.Wal wal) {
        return walRule.deletes(wal.name()) && !wal.object().lockedAt(now);
    }

    /** The backups' objects the plan deletes, in the order the executor deletes them (WAL follows). */
    public Stream<StoredObject> deletions() {
        return Stream.of(manifests, objects).flatMap(List::stream);
    }

    public long walFiles() {
        return walRanges.stream().mapToLong(WalRange::count).sum();
    }

    public long bytesFreed() {
        return deletions().mapToLong(StoredObject::size).sum() + walRanges.stream().mapToLong(WalRange::bytes).sum();
    }

    public long objectCount() {
        return manifests.size() + objects.size() + walFiles();
    }

    public boolean isEmpty() {
        return objectCount() == 0;
    }
}
