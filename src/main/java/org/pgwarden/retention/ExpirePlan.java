package org.pgwarden.retention;

import java.time.Instant;
import java.util.List;
import java.util.stream.Stream;
import org.pgwarden.pg.WalSegmentName;
import org.pgwarden.repo.BackupLabel;
import org.pgwarden.retention.RepositoryListing.StoredObject;

/**
 * What expire deletes and keeps, and why. The executor deletes {@link #manifests} first (so a
 * backup stops being visible before anything it needs goes), then {@link #objects}, then
 * {@link #wal}. Every list is sorted, so two plans of the same listing are equal.
 *
 * @param now           the time the plan was made for
 * @param expired       backups whose manifest and objects are deleted
 * @param kept          every backup that stays, each with the reasons it stays
 * @param unfinished    prefixes of interrupted backups removed as garbage
 * @param manifests     manifests of {@code expired}, deleted first
 * @param objects       the other objects of {@code expired} and {@code unfinished}
 * @param walRanges     the deleted WAL, per timeline
 * @param wal           the deleted WAL files
 * @param lockedObjects objects the plan would delete but an object lock still retains: left in place
 */
public record ExpirePlan(Instant now, List<Expired> expired, List<Kept> kept, List<BackupLabel> unfinished,
        List<StoredObject> manifests, List<StoredObject> objects, List<WalRange> walRanges, List<StoredObject> wal,
        List<StoredObject> lockedObjects) {

    public ExpirePlan {
        expired = List.copyOf(expired);
        kept = List.copyOf(kept);
        unfinished = List.copyOf(unfinished);
        manifests = List.copyOf(manifests);
        objects = List.copyOf(objects);
        walRanges = List.copyOf(walRanges);
        wal = List.copyOf(wal);
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

    /** Every object the plan deletes, in the order the executor deletes them. */
    public Stream<StoredObject> deletions() {
        return Stream.of(manifests, objects, wal).flatMap(List::stream);
    }

    public long bytesFreed() {
        return deletions().mapToLong(StoredObject::size).sum();
    }

    public long objectCount() {
        return manifests.size() + objects.size() + wal.size();
    }

    public boolean isEmpty() {
        return objectCount() == 0;
    }
}
