package org.pgwarden.retention;

import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.pgwarden.pg.WalSegmentName;
import org.pgwarden.repo.BackupLabel;
import org.pgwarden.repo.BackupType;
import org.pgwarden.repo.RepositoryLayout;
import org.pgwarden.retention.RepositoryListing.Backup;
import org.pgwarden.retention.RepositoryListing.StoredObject;
import org.pgwarden.retention.RepositoryListing.Unfinished;
import org.pgwarden.retention.RepositoryListing.Wal;
import org.pgwarden.storage.ObjectKey;

/**
 * Decides what expire deletes: a pure function of a {@link RepositoryListing}, the time and a
 * {@link RetentionPolicy}, so that it can be tested over many generated histories and a dry run
 * shows exactly what a real run does.
 *
 * <p>Rules, in order:
 * <ol>
 *   <li>the policy keeps fulls by count and/or recovery window, and their differentials and
 *       incrementals (all of them, or the newest by count among those of kept fulls);</li>
 *   <li>the newest backup is always kept, and so is every backup pinned with the annotation
 *       {@code keep=forever} or {@code keep=YYYY-MM-DD} (until the end of that UTC day);</li>
 *   <li>a kept backup keeps its parent chain and every backup whose objects its manifest names,
 *       so no prefix ever loses its manifest while a kept backup still reads from it;</li>
 *   <li>a backup with an object still under object lock retention stays whole (and is reported);</li>
 *   <li>WAL is kept from the start segment of the oldest kept backup of the lowest kept timeline,
 *       and all of every later timeline; timeline history files are always kept;</li>
 *   <li>an unfinished prefix (no manifest) is garbage only when nobody else holds the repository
 *       lock and nothing was written to it for {@link #UNFINISHED_SAFETY_AGE}.</li>
 * </ol>
 * Without any backup nothing but unfinished prefixes is deleted: WAL alone may still be wanted.
 */
public final class ExpirePlanner {
    /** How long an unfinished prefix must have been left alone before it is taken for garbage. */
    public static final Duration UNFINISHED_SAFETY_AGE = Duration.ofHours(24);
    /** The annotation that pins a backup: {@code forever} or a date {@code YYYY-MM-DD} (UTC). */
    public static final String PIN = "keep";

    private ExpirePlanner() {
    }

    public static ExpirePlan plan(RepositoryListing listing, Instant now, RetentionPolicy policy) {
        List<Backup> backups = listing.backups();
        Map<BackupLabel, Backup> byLabel = new LinkedHashMap<>();
        backups.forEach(b -> byLabel.put(b.label(), b));
        Map<BackupLabel, List<String>> kept = new TreeMap<>();

        if (!backups.isEmpty()) {
            keep(kept, backups.get(backups.size() - 1).label(), "newest backup");
        }
        Set<BackupLabel> policyFulls = keepFulls(backups, now, policy, kept);
        keepDependents(backups, BackupType.DIFF, policy.diffCount(), policyFulls, kept);
        keepDependents(backups, BackupType.INCR, policy.incrCount(), policyFulls, kept);
        for (Backup b : backups) {
            pinReason(b, now).ifPresent(r -> keep(kept, b.label(), r));
        }
        closeOverDependencies(byLabel, now, kept);

        List<ExpirePlan.Expired> expired = new ArrayList<>();
        List<StoredObject> manifests = new ArrayList<>();
        List<StoredObject> objects = new ArrayList<>();
        List<StoredObject> locked = new ArrayList<>();
        Set<ObjectKey> referenced = new HashSet<>();
        kept.keySet().forEach(l -> referenced.addAll(byLabel.get(l).references()));
        for (Backup b : backups) {
            if (kept.containsKey(b.label())) {
                continue;
            }
            long bytes = 0;
            for (StoredObject o : b.objects()) {
                // Unreachable after the closure above; checked again because this is the line
                // between a tidy repository and a backup that cannot be restored.
                if (referenced.contains(o.key())) {
                    throw new IllegalStateException("object '" + o.key() + "' of expired backup '" + b.label()
                            + "' is referenced by a kept backup");
                }
                bytes += o.size();
                (o.equals(b.manifest()) ? manifests : objects).add(o);
            }
            expired.add(new ExpirePlan.Expired(b.label(), b.stopTime(), bytes));
        }

        List<BackupLabel> garbage = new ArrayList<>();
        if (listing.writer().isEmpty()) {
            for (Unfinished u : listing.unfinished()) {
                if (!u.lastWrite().isAfter(now.minus(UNFINISHED_SAFETY_AGE))) {
                    garbage.add(u.label());
                    u.objects().forEach(o -> (o.lockedAt(now) ? locked : objects).add(o));
                }
            }
        }

        ExpirePlan.WalRule walRule = walRule(kept.keySet().stream().map(byLabel::get).toList(),
                listing.walSegmentSize());
        List<ExpirePlan.WalRange> walRanges = walRanges(listing.wal(), walRule, now, locked);

        List<ExpirePlan.Kept> keptList = new ArrayList<>();
        kept.forEach((l, reasons) -> keptList.add(new ExpirePlan.Kept(l, reasons)));
        Comparator<StoredObject> byKey = Comparator.comparing(o -> o.key().value());
        manifests.sort(byKey);
        objects.sort(byKey);
        locked.sort(byKey);
        return new ExpirePlan(now, expired, keptList, garbage, manifests, objects, walRule, walRanges, locked);
    }

    /** Fulls the count and the recovery window keep; returns them for their dependents' rules. */
    private static Set<BackupLabel> keepFulls(List<Backup> backups, Instant now, RetentionPolicy policy,
            Map<BackupLabel, List<String>> kept) {
        List<Backup> fulls = backups.stream().filter(b -> b.type() == BackupType.FULL).toList();
        Set<BackupLabel> out = new HashSet<>();
        policy.fullCount().ifPresent(n -> {
            for (Backup f : fulls.subList(Math.max(0, fulls.size() - n), fulls.size())) {
                keep(kept, f.label(), "one of the " + n + " newest full backups (retention.full.count)");
                out.add(f.label());
            }
        });
        policy.fullDays().ifPresent(days -> {
            Instant windowStart = now.minus(Duration.ofDays(days));
            Backup before = null;
            for (Backup f : fulls) {
                if (f.stopTime().isAfter(windowStart)) {
                    keep(kept, f.label(), "inside the " + days + "-day recovery window (retention.full.days)");
                    out.add(f.label());
                } else {
                    before = f;
                }
            }
            // The newest full finished before the window opens is what recovers to its first moments.
            if (before != null) {
                keep(kept, before.label(), "recovers to the start of the " + days
                        + "-day recovery window (retention.full.days)");
                out.add(before.label());
            }
        });
        return out;
    }

    private static void keepDependents(List<Backup> backups, BackupType type, OptionalInt count,
            Set<BackupLabel> fulls, Map<BackupLabel, List<String>> kept) {
        List<Backup> candidates = backups.stream()
                .filter(b -> b.type() == type && fulls.contains(b.label().fullLabel())).toList();
        String name = type == BackupType.DIFF ? "differential" : "incremental";
        String key = type == BackupType.DIFF ? "diff" : "incr";
        if (count.isEmpty()) {
            candidates.forEach(b -> keep(kept, b.label(), name + " of kept full " + b.label().fullLabel()
                    + " (retention." + key + ": with-full)"));
            return;
        }
        int n = count.getAsInt();
        candidates.subList(Math.max(0, candidates.size() - n), candidates.size())
                .forEach(b -> keep(kept, b.label(), "one of the " + n + " newest " + name + "s (retention." + key
                        + ".count)"));
    }

    /**
     * Adds, until nothing changes, what kept backups depend on: parents, owners of the objects their
     * manifests name, and backups an object lock does not let go yet.
     */
    private static void closeOverDependencies(Map<BackupLabel, Backup> byLabel, Instant now,
            Map<BackupLabel, List<String>> kept) {
        boolean changed = true;
        while (changed) {
            Deque<BackupLabel> todo = new ArrayDeque<>(kept.keySet());
            while (!todo.isEmpty()) {
                Backup b = byLabel.get(todo.pop());
                Set<BackupLabel> needs = new TreeSet<>();
                b.parent().ifPresent(needs::add);
                for (ObjectKey ref : b.references()) {
                    RepositoryLayout.backupOf(ref).ifPresent(needs::add);
                }
                needs.remove(b.label());
                for (BackupLabel n : needs) {
                    if (!byLabel.containsKey(n)) {
                        continue; // already gone; nothing here can bring it back
                    }
                    if (!kept.containsKey(n)) {
                        // One dependency reason is enough; a full under many incrementals would list them all.
                        keep(kept, n, (b.parent().equals(Optional.of(n)) ? "parent" : "holds data") + " of kept backup "
                                + b.label());
                        todo.push(n);
                    }
                }
            }
            changed = false;
            for (Backup b : byLabel.values()) {
                if (kept.containsKey(b.label())) {
                    continue;
                }
                List<StoredObject> lockedObjects = b.objects().stream().filter(o -> o.lockedAt(now)).toList();
                if (!lockedObjects.isEmpty()) {
                    Instant until = lockedObjects.stream().map(o -> o.retainUntil().orElseThrow())
                            .max(Comparator.naturalOrder()).orElseThrow();
                    keep(kept, b.label(), "object lock retains " + lockedObjects.size() + " of its objects until "
                            + until + "; expire removes it after that");
                    changed = true;
                }
            }
        }
    }

    /** Why annotation {@code keep} keeps {@code b} at {@code now}, if it does. */
    static Optional<String> pinReason(Backup b, Instant now) {
        String v = b.annotations().get(PIN);
        if (v == null) {
            return Optional.empty();
        }
        if (v.equals("forever")) {
            return Optional.of("pinned (keep=forever)");
        }
        try {
            LocalDate until = LocalDate.parse(v);
            Instant end = until.plusDays(1).atStartOfDay().toInstant(ZoneOffset.UTC);
            return now.isBefore(end) ? Optional.of("pinned until " + v + " (keep=" + v + ")") : Optional.empty();
        } catch (DateTimeParseException e) {
            // A typo must not make a backup the operator meant to keep disappear.
            return Optional.of("annotation keep='" + v + "' is neither 'forever' nor a date YYYY-MM-DD;"
                    + " kept until it is corrected");
        }
    }

    /**
     * The WAL the kept backups do not need: below the lowest kept timeline, and on it before the
     * earliest start segment of a kept backup there. Every later timeline is kept whole.
     */
    private static ExpirePlan.WalRule walRule(List<Backup> kept, int segmentSize) {
        if (kept.isEmpty()) {
            return ExpirePlan.WalRule.keepAll(segmentSize);
        }
        int lowest = kept.stream().mapToInt(Backup::timeline).min().orElseThrow();
        long from = kept.stream().filter(b -> b.timeline() == lowest)
                .mapToLong(b -> b.startLsn().segmentNumber(segmentSize)).min().orElseThrow();
        return new ExpirePlan.WalRule(OptionalInt.of(lowest), from, segmentSize);
    }

    /**
     * One pass over the archive: what the rule deletes, summed per timeline; files an object lock
     * still retains go to {@code locked} instead.
     */
    private static List<ExpirePlan.WalRange> walRanges(RepositoryListing.WalArchive archive, ExpirePlan.WalRule rule,
            Instant now, List<StoredObject> locked) {
        Map<Integer, long[]> totals = new TreeMap<>();
        Map<Integer, WalSegmentName[]> bounds = new TreeMap<>();
        try (Stream<Wal> all = archive.stream()) {
            all.filter(w -> rule.deletes(w.name())).forEach(w -> {
                if (w.object().lockedAt(now)) {
                    locked.add(w.object());
                    return;
                }
                int tl = w.name().timeline().value();
                long[] t = totals.computeIfAbsent(tl, x -> new long[2]);
                t[0]++;
                t[1] += w.object().size();
                WalSegmentName[] b = bounds.computeIfAbsent(tl, x -> new WalSegmentName[]{w.name(), w.name()});
                if (w.name().compareTo(b[0]) < 0) {
                    b[0] = w.name();
                }
                if (w.name().compareTo(b[1]) > 0) {
                    b[1] = w.name();
                }
            });
        }
        List<ExpirePlan.WalRange> out = new ArrayList<>();
        totals.forEach((tl, t) -> out.add(new ExpirePlan.WalRange(tl, bounds.get(tl)[0], bounds.get(tl)[1], t[0], t[1])));
        return out;
    }

    private static void keep(Map<BackupLabel, List<String>> kept, BackupLabel label, String reason) {
        List<String> reasons = kept.computeIfAbsent(label, l -> new ArrayList<>());
        if (!reasons.contains(reason)) {
            reasons.add(reason);
        }
    }
}
