package org.pgwarden.repo;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.pgwarden.common.ErrorCode;
import org.pgwarden.common.PgwardenException;
import org.pgwarden.storage.ObjectInfo;
import org.pgwarden.storage.ObjectKey;
import org.pgwarden.storage.ObjectStore;

/**
 * The backups of a repository, read from the repository itself (never from a local cache). A
 * backup exists when its manifest exists; a {@code backup/<label>/} prefix without one is an
 * interrupted backup, which the next backup cleans up with {@link #removeInterrupted}.
 *
 * <p>Each call lists {@code backup/} once. Reading a backup's summary reads its manifest to the
 * end, parsing only the header and footer lines (the footer is authenticated by the seal).
 */
public final class BackupCatalog {
    private static final int DELETE_BATCH = 1000;

    private final ObjectStore store;
    private final SealedObjects objects;

    public BackupCatalog(ObjectStore store, SealedObjects objects) {
        this.store = Objects.requireNonNull(store, "store");
        this.objects = Objects.requireNonNull(objects, "objects");
    }

    /**
     * Every committed backup, oldest first. A backup whose manifest is gone by the time it is read
     * was expired meanwhile (expire deletes manifests first) and is left out, so listing while the
     * daemon expires does not fail; any other failure to read a manifest is an error.
     */
    public List<BackupInfo> list() {
        List<BackupInfo> out = new ArrayList<>();
        scan().forEach((label, seen) -> {
            if (seen.committed) {
                try {
                    out.add(summary(label, seen.storedBytes));
                } catch (PgwardenException e) {
                    if (e.errorCode() != ErrorCode.REPO_OBJECT_MISSING
                            || store.stat(RepositoryLayout.manifest(label)).isPresent()) {
                        throw e;
                    }
                }
            }
        });
        return Collections.unmodifiableList(out);
    }

    /** Labels of committed backups, oldest first, from one listing without reading any manifest. */
    public List<BackupLabel> labels() {
        List<BackupLabel> out = new ArrayList<>();
        scan().forEach((label, seen) -> {
            if (seen.committed) {
                out.add(label);
            }
        });
        return Collections.unmodifiableList(out);
    }

    /** Labels of backups that were started but never committed, oldest first. */
    public List<BackupLabel> interrupted() {
        List<BackupLabel> out = new ArrayList<>();
        scan().forEach((label, seen) -> {
            if (!seen.committed) {
                out.add(label);
            }
        });
        return Collections.unmodifiableList(out);
    }

    /** The newest committed backup of any type. */
    public Optional<BackupInfo> latest() {
        List<BackupInfo> all = list();
        return all.isEmpty() ? Optional.empty() : Optional.of(all.get(all.size() - 1));
    }

    /** The newest committed full backup. */
    public Optional<BackupInfo> latestFull() {
        BackupInfo found = null;
        for (BackupInfo b : list()) {
            if (b.label().isFull()) {
                found = b;
            }
        }
        return Optional.ofNullable(found);
    }

    /** The committed backup {@code label}; empty when it does not exist or was interrupted. */
    public Optional<BackupInfo> find(BackupLabel label) {
        if (store.stat(RepositoryLayout.manifest(label)).isEmpty()) {
            return Optional.empty();
        }
        long stored;
        try (Stream<ObjectInfo> s = store.list(RepositoryLayout.backupPrefix(label))) {
            stored = s.mapToLong(ObjectInfo::size).sum();
        }
        return Optional.of(summary(label, stored));
    }

    /**
     * Deletes every object under {@code backup/<label>/} of an interrupted backup. Refused with
     * {@code BACKUP_COMMITTED} when the backup has a manifest: committed backups are removed only by
     * expire. The caller holds the repository lock, so no backup is writing there.
     *
     * @return the number of objects deleted
     */
    public long removeInterrupted(BackupLabel label) {
        ObjectKey manifest = RepositoryLayout.manifest(label);
        if (store.stat(manifest).isPresent()) {
            throw new PgwardenException(ErrorCode.BACKUP_COMMITTED, "backup '" + label
                    + "' is committed ('" + manifest + "' exists); it is not an interrupted backup",
                    "committed backups are removed by 'pgwarden expire'", null);
        }
        long deleted = 0;
        List<ObjectKey> batch = new ArrayList<>(DELETE_BATCH);
        try (Stream<ObjectInfo> s = store.list(RepositoryLayout.backupPrefix(label))) {
            for (ObjectInfo o : (Iterable<ObjectInfo>) s::iterator) {
                batch.add(o.key());
                if (batch.size() == DELETE_BATCH) {
                    store.delete(batch);
                    deleted += batch.size();
                    batch = new ArrayList<>(DELETE_BATCH);
                }
            }
        }
        if (!batch.isEmpty()) {
            store.delete(batch);
            deleted += batch.size();
        }
        deleted += store.discardIncomplete(RepositoryLayout.backupPrefix(label));
        return deleted;
    }

    private BackupInfo summary(BackupLabel label, long storedBytes) {
        try (ManifestReader r = ManifestReader.open(objects, label)) {
            return new BackupInfo(r.header(), r.footerSkippingEntries(), storedBytes);
        }
    }

    /** One pass over {@code backup/}: per label, whether its manifest exists and its stored bytes. */
    private Map<BackupLabel, Seen> scan() {
        Map<BackupLabel, Seen> seen = new TreeMap<>();
        try (Stream<ObjectInfo> s = store.list(RepositoryLayout.BACKUP_PREFIX)) {
            s.forEach(o -> RepositoryLayout.backupOf(o.key()).ifPresent(label -> {
                Seen x = seen.computeIfAbsent(label, l -> new Seen());
                x.storedBytes += o.size();
                if (RepositoryLayout.isManifest(o.key())) {
                    x.committed = true;
                }
            }));
        }
        return seen;
    }

    private static final class Seen {
        boolean committed;
        long storedBytes;
    }
}
