package org.pgwarden.retention;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.pgwarden.job.JobContext;
import org.pgwarden.metrics.Metrics;
import org.pgwarden.pg.WalSegmentName;
import org.pgwarden.repo.BackupLabel;
import org.pgwarden.repo.BackupType;
import org.pgwarden.retention.Histories.History;
import org.pgwarden.retention.RepositoryListing.Backup;
import org.pgwarden.retention.RepositoryListing.StoredObject;
import org.pgwarden.storage.ObjectKey;
import org.pgwarden.storage.ObjectStore;
import org.pgwarden.testing.InMemoryObjectStore;
import org.junit.jupiter.api.Test;

/**
 * DESIGN.md §2 invariant 5 over many generated histories: whatever the policy, the newest backup
 * stays restorable to the end of the archive, no kept backup loses an object or a WAL file it
 * needs, pinned backups survive, and executing a plan deletes exactly the plan.
 */
class ExpirePlannerPropertiesTest {
    private static final int HISTORIES = 500;
    private static final long SEED = 20261124L;

    @Test
    void invariantsHoldOverGeneratedHistories() {
        Random random = new Random(SEED);
        long expiredBackups = 0;
        long deletedWal = 0;
        long locked = 0;
        long garbage = 0;
        for (int i = 0; i < HISTORIES; i++) {
            History h = Histories.generate(random);
            ExpirePlan plan = ExpirePlanner.plan(h.listing(), h.now(), h.policy());
            String context = "history " + i + " (seed " + SEED + "), policy " + h.policy() + ", now " + h.now();
            try {
                assertInvariants(h, plan);
                assertDeterministic(h, plan, new Random(i));
                assertExecutorDeletesExactlyThePlan(h, plan);
            } catch (AssertionError e) {
                throw new AssertionError(context + ": " + e.getMessage(), e);
            }
            expiredBackups += plan.expired().size();
            deletedWal += plan.walFiles();
            locked += plan.lockedObjects().size();
            garbage += plan.unfinished().size();
        }
        // The invariants above are easy to meet by deleting nothing: make sure the histories exercise deletion.
        assertThat(expiredBackups).isGreaterThan(HISTORIES);
        assertThat(deletedWal).isGreaterThan(HISTORIES);
        assertThat(locked).isPositive();
        assertThat(garbage).isPositive();
    }

    static void assertInvariants(History h, ExpirePlan plan) {
        RepositoryListing listing = h.listing();
        Instant now = h.now();
        Map<ObjectKey, StoredObject> all = allObjects(listing);
        List<ObjectKey> deletions = deletions(listing, plan);
        Set<ObjectKey> deleted = new HashSet<>(deletions);
        assertThat(deletions).as("each object deleted once").doesNotHaveDuplicates();
        assertThat(all.keySet()).as("only listed objects are deleted").containsAll(deleted);
        assertThat(deletions).as("object-locked objects are not deleted").noneMatch(k -> all.get(k).lockedAt(now));

        Set<BackupLabel> kept = plan.kept().stream().map(ExpirePlan.Kept::label).collect(Collectors.toSet());
        Set<BackupLabel> expired = plan.expired().stream().map(ExpirePlan.Expired::label).collect(Collectors.toSet());
        List<Backup> backups = listing.backups();
        assertThat(Collections.disjoint(kept, expired)).isTrue();
        assertThat(kept.size() + expired.size()).isEqualTo(backups.size());
        plan.kept().forEach(k -> assertThat(k.reasons()).as("reasons of " + k.label()).isNotEmpty());
        if (!backups.isEmpty()) {
            assertThat(kept).as("the newest backup is kept").contains(backups.get(backups.size() - 1).label());
        }

        for (Backup b : backups) {
            if (kept.contains(b.label())) {
                // Its manifest, everything under its prefix, and every object it names from others stay.
                assertThat(b.objects()).noneMatch(o -> deleted.contains(o.key()));
                assertThat(b.references()).as("objects named by kept " + b.label())
                        .allMatch(all::containsKey).noneMatch(deleted::contains);
                b.parent().ifPresent(p -> assertThat(kept).as("parent of kept " + b.label()).contains(p));
                assertWalKept(listing, b, deleted);
            } else {
                assertThat(b.objects()).as("nothing of expired " + b.label() + " is left behind")
                        .allMatch(o -> deleted.contains(o.key()));
                assertThat(ExpirePlanner.pinReason(b, now)).as("expired " + b.label() + " is not pinned").isEmpty();
            }
            if (ExpirePlanner.pinReason(b, now).isPresent()) {
                assertThat(kept).as("pinned " + b.label() + " " + b.annotations()).contains(b.label());
            }
        }
        for (RepositoryListing.Wal w : wal(listing)) {
            if (w.name().kind() == WalSegmentName.Kind.HISTORY) {
                assertThat(deleted).as("history files are kept").doesNotContain(w.object().key());
            }
        }
        if (backups.isEmpty()) {
            assertThat(plan.walFiles()).isZero();
        }
        assertPolicyKeeps(h, kept);

        Set<BackupLabel> garbage = new HashSet<>(plan.unfinished());
        for (RepositoryListing.Unfinished u : listing.unfinished()) {
            boolean gone = garbage.contains(u.label());
            if (listing.writer().isPresent() || u.lastWrite().isAfter(now.minus(ExpirePlanner.UNFINISHED_SAFETY_AGE))) {
                assertThat(gone).as("unfinished " + u.label() + " may be in progress").isFalse();
                assertThat(u.objects()).noneMatch(o -> deleted.contains(o.key()));
            }
        }
        long bytes = deletions.stream().mapToLong(k -> all.get(k).size()).sum();
        assertThat(plan.bytesFreed()).isEqualTo(bytes);
        assertThat(plan.objectCount()).isEqualTo(deletions.size());
        for (ExpirePlan.WalRange r : plan.walRanges()) {
            List<WalSegmentName> names = wal(listing).stream().filter(plan::deletes).map(RepositoryListing.Wal::name)
                    .filter(n -> n.timeline().value() == r.timeline()).sorted().toList();
            assertThat(r.count()).isEqualTo(names.size());
            assertThat(r.first()).isEqualTo(names.get(0));
            assertThat(r.last()).isEqualTo(names.get(names.size() - 1));
        }
    }

    /** Every WAL file from {@code b}'s start on its timeline, and all of every later timeline, stays. */
    private static void assertWalKept(RepositoryListing listing, Backup b, Set<ObjectKey> deleted) {
        long start = b.startLsn().segmentNumber(listing.walSegmentSize());
        for (RepositoryListing.Wal w : wal(listing)) {
            WalSegmentName n = w.name();
            boolean needed = n.kind() == WalSegmentName.Kind.HISTORY || n.timeline().value() > b.timeline()
                    || n.timeline().value() == b.timeline() && n.segmentNumber(listing.walSegmentSize()) >= start;
            if (needed) {
                assertThat(deleted).as("WAL " + n + " needed by kept " + b.label()).doesNotContain(w.object().key());
            }
        }
    }

    /** What the policy itself asks for is kept. */
    private static void assertPolicyKeeps(History h, Set<BackupLabel> kept) {
        List<Backup> fulls = h.listing().backups().stream().filter(b -> b.type() == BackupType.FULL).toList();
        Set<BackupLabel> policyFulls = new HashSet<>();
        h.policy().fullCount().ifPresent(n -> fulls.subList(Math.max(0, fulls.size() - n), fulls.size())
                .forEach(f -> policyFulls.add(f.label())));
        h.policy().fullDays().ifPresent(d -> {
            Instant windowStart = h.now().minus(Duration.ofDays(d));
            Backup before = null;
            for (Backup f : fulls) {
                if (f.stopTime().isAfter(windowStart)) {
                    policyFulls.add(f.label());
                } else {
                    before = f;
                }
            }
            if (before != null) {
                policyFulls.add(before.label());
            }
        });
        assertThat(kept).containsAll(policyFulls);
        for (BackupType type : List.of(BackupType.DIFF, BackupType.INCR)) {
            var count = type == BackupType.DIFF ? h.policy().diffCount() : h.policy().incrCount();
            List<BackupLabel> dependents = h.listing().backups().stream()
                    .filter(b -> b.type() == type && policyFulls.contains(b.label().fullLabel()))
                    .map(Backup::label).toList();
            int keepN = count.isEmpty() ? dependents.size() : Math.min(count.getAsInt(), dependents.size());
            assertThat(kept).containsAll(dependents.subList(dependents.size() - keepN, dependents.size()));
        }
    }

    private static void assertDeterministic(History h, ExpirePlan plan, Random r) {
        RepositoryListing l = h.listing();
        List<Backup> backups = new ArrayList<>(l.backups());
        List<RepositoryListing.Wal> wal = new ArrayList<>(wal(l));
        List<RepositoryListing.Unfinished> unfinished = new ArrayList<>(l.unfinished());
        Collections.shuffle(backups, r);
        Collections.shuffle(wal, r);
        Collections.shuffle(unfinished, r);
        RepositoryListing shuffled = new RepositoryListing(l.walSegmentSize(), backups, unfinished,
                RepositoryListing.WalArchive.of(wal), l.writer());
        assertThat(ExpirePlanner.plan(shuffled, h.now(), h.policy())).isEqualTo(plan);
    }

    /** Against a store holding the whole listing plus foreign keys: afterwards exactly the plan is gone. */
    private static void assertExecutorDeletesExactlyThePlan(History h, ExpirePlan plan) {
        RecordingStore store = new RecordingStore();
        Set<String> before = new HashSet<>();
        for (ObjectKey k : allObjects(h.listing()).keySet()) {
            store.memory.put(k, new ByteArrayInputStream(new byte[]{1}));
            before.add(k.value());
        }
        for (String foreign : List.of("stanza.json", "lock/backup", "backup/not-a-label/x", "wal/README",
                "keyring/dk-1.json", "verify/20260101-000000F.json")) {
            store.memory.put(new ObjectKey(foreign), new ByteArrayInputStream(new byte[]{2}));
            before.add(foreign);
        }
        Expire.Result result = new PlanExecutor(store.store, Metrics.noop())
                .execute(plan, h.listing().wal(), JobContext.standalone("t", "expire", Clock.fixed(h.now(), ZoneOffset.UTC)));
        Set<String> expected = new HashSet<>(before);
        deletions(h.listing(), plan).forEach(k -> expected.remove(k.value()));
        assertThat(new HashSet<>(store.memory.keys())).isEqualTo(expected);
        assertThat(result.deletedObjects()).isEqualTo(plan.objectCount());
        assertThat(result.freedBytes()).isEqualTo(plan.bytesFreed());
        // Manifests go before any other object, WAL last.
        List<ObjectKey> order = store.deleted;
        int manifests = plan.manifests().size();
        assertThat(order.subList(0, manifests)).containsExactlyElementsOf(
                plan.manifests().stream().map(StoredObject::key).toList());
        assertThat(order.subList(order.size() - (int) plan.walFiles(), order.size()))
                .allMatch(k -> k.value().startsWith("wal/"));
    }

    private static List<RepositoryListing.Wal> wal(RepositoryListing l) {
        try (Stream<RepositoryListing.Wal> s = l.wal().stream()) {
            return s.toList();
        }
    }

    /** Every key a run of {@code plan} deletes: the backups' objects, then the WAL its rule selects. */
    static List<ObjectKey> deletions(RepositoryListing l, ExpirePlan plan) {
        List<ObjectKey> out = new ArrayList<>(plan.deletions().map(StoredObject::key).toList());
        wal(l).stream().filter(plan::deletes).forEach(w -> out.add(w.object().key()));
        return out;
    }

    private static Map<ObjectKey, StoredObject> allObjects(RepositoryListing l) {
        Map<ObjectKey, StoredObject> all = new HashMap<>();
        Stream.of(l.backups().stream().flatMap(b -> b.objects().stream()),
                l.unfinished().stream().flatMap(u -> u.objects().stream()),
                wal(l).stream().map(RepositoryListing.Wal::object))
                .flatMap(s -> s).forEach(o -> all.put(o.key(), o));
        return all;
    }

    /** An in-memory store that remembers the order of deletions. */
    static final class RecordingStore {
        final InMemoryObjectStore memory = new InMemoryObjectStore();
        final List<ObjectKey> deleted = new ArrayList<>();
        final ObjectStore store = (ObjectStore) Proxy.newProxyInstance(ObjectStore.class.getClassLoader(),
                new Class<?>[]{ObjectStore.class}, (proxy, method, args) -> {
                    if (method.getName().equals("delete")) {
                        @SuppressWarnings("unchecked")
                        Collection<ObjectKey> keys = (Collection<ObjectKey>) args[0];
                        deleted.addAll(keys);
                    }
                    try {
                        return method.invoke(memory, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
    }
}
