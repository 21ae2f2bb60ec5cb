package org.pgwarden.retention;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.pgwarden.job.JobContext;
import org.pgwarden.pg.Lsn;
import org.pgwarden.pg.WalSegmentName;
import org.pgwarden.repo.BackupLabel;
import org.pgwarden.repo.LockOwner;
import org.pgwarden.repo.ManifestEntry;
import org.pgwarden.repo.ManifestHeader;
import org.pgwarden.repo.ManifestReader;
import org.pgwarden.repo.RepositoryLayout;
import org.pgwarden.repo.RepositoryLock;
import org.pgwarden.repo.SealedObjects;
import org.pgwarden.repo.Slice;
import org.pgwarden.repo.StanzaStore;
import org.pgwarden.repo.WalArchiveIndex;
import org.pgwarden.retention.RepositoryListing.StoredObject;
import org.pgwarden.storage.ObjectInfo;
import org.pgwarden.storage.ObjectStore;

/**
 * Reads the {@link RepositoryListing} the planner needs: one listing of {@code backup/}, every
 * manifest read to its verified footer (the objects it names are what must survive), and
 * {@code wal/} as a lazy listing. Memory grows with the number of backups and bundle objects, not
 * with the number of files backed up or the length of the WAL archive. A manifest that cannot be read stops expire: without it, what a
 * backup needs is unknown.
 */
public final class RepositoryLister {
    private final ObjectStore store;
    private final SealedObjects objects;
    private final Optional<Duration> objectLockRetention;

    /**
     * @param objectLockRetention how long the store retains each object after it was written, when
     *                            objects are written under an object lock
     */
    public RepositoryLister(ObjectStore store, SealedObjects objects, Optional<Duration> objectLockRetention) {
        this.store = Objects.requireNonNull(store, "store");
        this.objects = Objects.requireNonNull(objects, "objects");
        this.objectLockRetention = Objects.requireNonNull(objectLockRetention, "objectLockRetention");
    }

    /**
     * @param holdingLock whether the caller holds the repository lock; otherwise its current holder,
     *                    if any, is recorded as a possible writer of unfinished prefixes
     */
    public RepositoryListing list(boolean holdingLock, JobContext context) {
        int segmentSize = new StanzaStore(store, objects).load().walSegmentSize();
        Optional<LockOwner> writer = holdingLock ? Optional.empty() : new RepositoryLock(store).holder();
        Map<BackupLabel, List<StoredObject>> prefixes = new TreeMap<>();
        try (Stream<ObjectInfo> s = store.list(RepositoryLayout.BACKUP_PREFIX)) {
            s.forEach(o -> RepositoryLayout.backupOf(o.key())
                    .ifPresent(l -> prefixes.computeIfAbsent(l, x -> new ArrayList<>()).add(stored(o))));
        }
        List<RepositoryListing.Backup> backups = new ArrayList<>();
        List<RepositoryListing.Unfinished> unfinished = new ArrayList<>();
        for (Map.Entry<BackupLabel, List<StoredObject>> p : prefixes.entrySet()) {
            context.checkCancelled();
            Optional<StoredObject> manifest = p.getValue().stream()
                    .filter(o -> o.key().equals(RepositoryLayout.manifest(p.getKey()))).findFirst();
            if (manifest.isEmpty()) {
                unfinished.add(new RepositoryListing.Unfinished(p.getKey(), p.getValue()));
            } else {
                // The backup's verify result lives outside its prefix but goes with it.
                List<StoredObject> own = new ArrayList<>(p.getValue());
                store.stat(RepositoryLayout.verifyResult(p.getKey())).map(this::stored).ifPresent(own::add);
                backups.add(backup(p.getKey(), own, manifest.get()));
            }
        }
        return new RepositoryListing(segmentSize, backups, unfinished, this::wal, writer);
    }

    /** One pass over {@code wal/}, lazily. Keys pgwarden did not write are skipped, so never deleted. */
    private Stream<RepositoryListing.Wal> wal() {
        return new WalArchiveIndex(store).listAll()
                .filter(o -> o.key().name().lastIndexOf('-') > 0
                        && WalSegmentName.isWalFileName(WalArchiveIndex.fileName(o.key())))
                .map(o -> new RepositoryListing.Wal(WalSegmentName.parse(WalArchiveIndex.fileName(o.key())), stored(o)));
    }

    private RepositoryListing.Backup backup(BackupLabel label, List<StoredObject> own, StoredObject manifest) {
        Set<org.pgwarden.storage.ObjectKey> references = new HashSet<>();
        ManifestHeader h;
        try (ManifestReader r = ManifestReader.open(objects, label)) {
            h = r.header();
            for (ManifestEntry e : r) {
                for (Slice s : e.slices()) {
                    references.add(s.ref().object());
                }
            }
            r.footer(); // only a manifest read to its verified footer is complete
        }
        return new RepositoryListing.Backup(label, h.parent(), h.startTime(), h.stopTime(), Lsn.parse(h.startLsn()),
                h.timeline(), h.annotations(), references, own, manifest);
    }

    private StoredObject stored(ObjectInfo o) {
        return new StoredObject(o.key(), o.size(), o.lastModified(),
                objectLockRetention.map(d -> o.lastModified().plus(d)));
    }
}
