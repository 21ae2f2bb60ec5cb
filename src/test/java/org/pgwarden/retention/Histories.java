package org.pgwarden.retention;

import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import org.pgwarden.pg.Lsn;
import org.pgwarden.pg.TimelineId;
import org.pgwarden.pg.WalSegmentName;
import org.pgwarden.repo.BackupLabel;
import org.pgwarden.repo.BackupType;
import org.pgwarden.repo.LockOwner;
import org.pgwarden.repo.RepositoryLayout;
import org.pgwarden.repo.WalArchiveIndex;
import org.pgwarden.retention.RepositoryListing.StoredObject;
import org.pgwarden.storage.ObjectKey;

/**
 * Generates repository histories for the planner's property tests: fulls, differentials and
 * incrementals over months, timeline switches, pins, object locks, gaps in the archive,
 * interrupted backups and a lock held by another process.
 */
final class Histories {
    static final int SEG = 16 << 20;
    private static final String SHA = "0123456789abcdef0123456789abcdef";

    record History(RepositoryListing listing, Instant now, RetentionPolicy policy) {
    }

    private Histories() {
    }

    static History generate(Random r) {
        Instant t = Instant.parse("2026-01-01T00:00:00Z").plusSeconds(r.nextInt(86_400 * 100));
        Optional<Duration> lock = r.nextInt(5) == 0 ? Optional.of(Duration.ofDays(1 + r.nextInt(20))) : Optional.empty();
        long seg = 2 + r.nextInt(50);
        int tl = 1;
        Map<Integer, long[]> timelines = new TreeMap<>();
        timelines.put(tl, new long[]{Math.max(1, seg - r.nextInt(4)), seg});
        List<RepositoryListing.Backup> backups = new ArrayList<>();
        List<RepositoryListing.Wal> wal = new ArrayList<>();
        Map<BackupLabel, Set<ObjectKey>> refsOf = new HashMap<>();
        Map<BackupLabel, List<ObjectKey>> bundlesOf = new HashMap<>();
        BackupLabel lastFull = null;
        BackupLabel latest = null;
        int n = 1 + r.nextInt(25);
        for (int i = 0; i < n; i++) {
            t = t.plus(Duration.ofMinutes(30 + r.nextInt(60 * 72)));
            seg += r.nextInt(30);
            if (i > 0 && r.nextInt(8) == 0) {
                // Promotion or a point-in-time restore: a new timeline branching at or a little before here.
                seg = Math.max(timelines.get(tl)[0], seg - r.nextInt(3));
                tl++;
                timelines.put(tl, new long[]{seg, seg});
                wal.add(wal(WalSegmentName.history(TimelineId.of(tl)), t, lock));
            }
            BackupType type = i == 0 ? BackupType.FULL : BackupType.values()[r.nextInt(3)];
            BackupLabel label;
            Optional<BackupLabel> parent;
            if (type == BackupType.FULL) {
                label = BackupLabel.newFull(t);
                parent = Optional.empty();
                lastFull = label;
            } else if (type == BackupType.DIFF) {
                label = BackupLabel.newIncremental(lastFull, t, type);
                parent = Optional.of(lastFull);
            } else {
                label = BackupLabel.newIncremental(latest, t, type);
                parent = Optional.of(latest);
            }
            Lsn start = Lsn.of(seg * SEG + r.nextInt(SEG));
            seg += r.nextInt(3);
            Instant stop = t.plus(Duration.ofMinutes(1 + r.nextInt(120)));
            List<StoredObject> own = new ArrayList<>();
            Set<ObjectKey> refs = new HashSet<>();
            int bundles = 1 + r.nextInt(4);
            for (int b = 1; b <= bundles; b++) {
                StoredObject o = object(RepositoryLayout.bundle(label, b), r, t.plusSeconds(b), lock);
                own.add(o);
                if (r.nextInt(6) != 0) {
                    refs.add(o.key());
                }
            }
            parent.ifPresent(p -> refsOf.get(p).stream().filter(k -> r.nextInt(10) < 7).forEach(refs::add));
            if (parent.isPresent() && r.nextInt(4) == 0) {
                // The format allows any earlier backup of the same full, not only ancestors (a sibling
                // differential, say): the planner must follow objects, not just parents.
                BackupLabel full = label.fullLabel();
                List<ObjectKey> earlier = bundlesOf.entrySet().stream()
                        .filter(e -> e.getKey().fullLabel().equals(full)).flatMap(e -> e.getValue().stream())
                        .sorted(java.util.Comparator.comparing(ObjectKey::value)).toList();
                refs.add(earlier.get(r.nextInt(earlier.size())));
            }
            StoredObject manifest = object(RepositoryLayout.manifest(label), r, stop, lock);
            own.add(manifest);
            if (r.nextInt(10) == 0) {
                own.add(object(org.pgwarden.storage.ObjectKey.of("backup", label.toString(), "verified"), r, stop, lock));
            }
            refsOf.put(label, refs);
            bundlesOf.put(label, own.stream().map(StoredObject::key)
                    .filter(k -> RepositoryLayout.isBundleOf(k, label)).toList());
            backups.add(new RepositoryListing.Backup(label, parent, t, stop, start, tl, annotations(r, t), refs, own,
                    manifest));
            wal.add(wal(new WalSegmentName(WalSegmentName.Kind.BACKUP, TimelineId.of(tl),
                    start.segmentNumber(SEG) / 256, start.segmentNumber(SEG) % 256, start.segmentOffset(SEG)), stop,
                    lock));
            timelines.get(tl)[1] = seg;
            latest = label;
            t = stop;
        }
        seg += r.nextInt(10);
        timelines.get(tl)[1] = seg;
        Instant now = t.plus(Duration.ofMinutes(r.nextInt(60 * 24 * 40)));
        Instant walTime = now.minus(Duration.ofDays(60));
        for (Map.Entry<Integer, long[]> e : timelines.entrySet()) {
            TimelineId id = TimelineId.of(e.getKey());
            for (long s = e.getValue()[0]; s <= e.getValue()[1]; s++) {
                if (r.nextInt(40) != 0) {
                    walTime = walTime.plusSeconds(60);
                    wal.add(wal(WalSegmentName.ofSegmentNumber(id, s, SEG), walTime, lock));
                }
            }
            if (e.getKey() < tl && r.nextBoolean()) {
                long last = e.getValue()[1];
                wal.add(wal(new WalSegmentName(WalSegmentName.Kind.PARTIAL, id, last / 256, last % 256, -1), walTime,
                        lock));
            }
        }
        List<RepositoryListing.Unfinished> unfinished = new ArrayList<>();
        for (int u = r.nextInt(3); u > 0; u--) {
            Instant at = now.minus(Duration.ofMinutes(r.nextInt(60 * 24 * 3))).plusSeconds(u);
            BackupLabel label = BackupLabel.newFull(at.plusMillis(500));
            if (backups.stream().anyMatch(b -> b.label().equals(label))) {
                continue;
            }
            List<StoredObject> objs = new ArrayList<>();
            for (int b = 1; b <= 1 + r.nextInt(3); b++) {
                objs.add(object(RepositoryLayout.bundle(label, b), r, at, lock));
            }
            unfinished.add(new RepositoryListing.Unfinished(label, objs));
        }
        Optional<LockOwner> writer = r.nextInt(5) == 0
                ? Optional.of(new LockOwner("db2", 4242, Optional.empty(), now.minusSeconds(30), "test"))
                : Optional.empty();
        RepositoryListing listing = new RepositoryListing(SEG, backups, unfinished,
                RepositoryListing.WalArchive.of(wal), writer);
        return new History(listing, now, policy(r));
    }

    static RetentionPolicy policy(Random r) {
        OptionalInt count = r.nextBoolean() ? OptionalInt.of(1 + r.nextInt(4)) : OptionalInt.empty();
        OptionalInt days = count.isEmpty() || r.nextInt(3) == 0 ? OptionalInt.of(1 + r.nextInt(30)) : OptionalInt.empty();
        return new RetentionPolicy(count, days,
                r.nextBoolean() ? OptionalInt.of(1 + r.nextInt(3)) : OptionalInt.empty(),
                r.nextBoolean() ? OptionalInt.of(1 + r.nextInt(5)) : OptionalInt.empty());
    }

    private static Map<String, String> annotations(Random r, Instant t) {
        return switch (r.nextInt(20)) {
            case 0 -> Map.of(ExpirePlanner.PIN, "forever");
            case 1, 2 -> Map.of(ExpirePlanner.PIN,
                    LocalDate.ofInstant(t, ZoneOffset.UTC).plusDays(r.nextInt(60)).toString());
            case 3 -> Map.of(ExpirePlanner.PIN, "for ever");
            case 4 -> Map.of("purpose", "monthly");
            default -> Map.of();
        };
    }

    private static RepositoryListing.Wal wal(WalSegmentName name, Instant at, Optional<Duration> lock) {
        return new RepositoryListing.Wal(name, new StoredObject(WalArchiveIndex.key(name.toString(), SHA),
                name.kind() == WalSegmentName.Kind.SEGMENT ? SEG / 4 : 300, at, lock.map(at::plus)));
    }

    private static StoredObject object(ObjectKey key, Random r, Instant at, Optional<Duration> lock) {
        return new StoredObject(key, 1 + r.nextInt(1 << 20), at, lock.map(at::plus));
    }
}
