package org.pgwarden.retention;

import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;
import org.pgwarden.pg.Lsn;
import org.pgwarden.pg.WalSegmentName;
import org.pgwarden.repo.BackupLabel;
import org.pgwarden.repo.BackupType;
import org.pgwarden.repo.LockOwner;
import org.pgwarden.storage.ObjectKey;

/**
 * Everything the planner looks at, read from the repository in one go so that planning is a pure
 * function of it and the clock.
 *
 * @param walSegmentSize the stanza's WAL segment size, to turn LSNs into segment numbers
 * @param backups        committed backups (those with a manifest), oldest first
 * @param unfinished     {@code backup/<label>/} prefixes without a manifest
 * @param wal            every file of the WAL archive whose key pgwarden understands, listed anew
 *                       on each pass: a long archive is never held in memory
 * @param writer         who else holds the repository lock, when someone does: a backup may then be
 *                       writing one of the {@code unfinished} prefixes right now
 */
public record RepositoryListing(int walSegmentSize, List<Backup> backups, List<Unfinished> unfinished,
        WalArchive wal, Optional<LockOwner> writer) {

    public RepositoryListing {
        backups = backups.stream().sorted(Comparator.comparing(Backup::label)).toList();
        unfinished = unfinished.stream().sorted(Comparator.comparing(Unfinished::label)).toList();
        Objects.requireNonNull(wal, "wal");
        Objects.requireNonNull(writer, "writer");
    }

    /** The WAL archive as a listing that can be read more than once; the caller closes each stream. */
    @FunctionalInterface
    public interface WalArchive {
        Stream<Wal> stream();

        /** A fixed archive, for tests and small repositories. */
        static WalArchive of(List<Wal> files) {
            List<Wal> copy = List.copyOf(files);
            return copy::stream;
        }
    }

    /**
     * One stored object.
     *
     * @param retainUntil when the store keeps it under an object lock, until when; it cannot be
     *                    deleted before then
     */
    public record StoredObject(ObjectKey key, long size, Instant lastModified, Optional<Instant> retainUntil) {
        public StoredObject {
            Objects.requireNonNull(key, "key");
            Objects.requireNonNull(lastModified, "lastModified");
            Objects.requireNonNull(retainUntil, "retainUntil");
        }

        /** Whether an object lock still keeps this object at {@code now}. */
        public boolean lockedAt(Instant now) {
            return retainUntil.map(now::isBefore).orElse(false);
        }
    }

    /**
     * One committed backup, from its manifest header and the listing of its prefix.
     *
     * @param references  every bundle object its manifest names, in its own or earlier backups' prefixes
     * @param objects     every object under {@code backup/<label>/}, its manifest included
     * @param manifest    the manifest object among {@code objects}
     */
    public record Backup(BackupLabel label, Optional<BackupLabel> parent, Instant startTime, Instant stopTime,
            Lsn startLsn, int timeline, Map<String, String> annotations, Set<ObjectKey> references,
            List<StoredObject> objects, StoredObject manifest) {
        public Backup {
            Objects.requireNonNull(label, "label");
            Objects.requireNonNull(parent, "parent");
            Objects.requireNonNull(startTime, "startTime");
            Objects.requireNonNull(stopTime, "stopTime");
            Objects.requireNonNull(startLsn, "startLsn");
            annotations = Map.copyOf(annotations);
            references = Set.copyOf(references);
            objects = List.copyOf(objects);
            Objects.requireNonNull(manifest, "manifest");
        }

        public BackupType type() {
            return label.type();
        }
    }

    /** A backup prefix without a manifest: interrupted, or being written right now. */
    public record Unfinished(BackupLabel label, List<StoredObject> objects) {
        public Unfinished {
            Objects.requireNonNull(label, "label");
            objects = List.copyOf(objects);
        }

        /** When its newest object was written. */
        public Instant lastWrite() {
            return objects.stream().map(StoredObject::lastModified).max(Comparator.naturalOrder())
                    .orElse(Instant.EPOCH);
        }
    }

    /** One archived WAL file: a segment, partial segment, backup history or timeline history file. */
    public record Wal(WalSegmentName name, StoredObject object) {
        public Wal {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(object, "object");
        }
    }
}
