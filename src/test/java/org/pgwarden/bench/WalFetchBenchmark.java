package org.pgwarden.bench;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.pgwarden.adapter.fs.FilesystemObjectStore;
import org.pgwarden.codec.Codec;
import org.pgwarden.metrics.Metrics;
import org.pgwarden.repo.SealedObjects;
import org.pgwarden.storage.ObjectStore;
import org.pgwarden.wal.WalFetch;
import org.pgwarden.wal.WalSpool;
import org.pgwarden.repo.WalArchiveIndex;
import org.pgwarden.testing.BackupSetup;
import org.pgwarden.testing.Distribution;

/**
 * End-to-end cost of restore_command with and without prefetching: a real cluster archives
 * about {@code count} segments of table data, then {@code bin/pgwarden wal-fetch} is run once per
 * segment, one new process per call as PostgreSQL does, for each prefetch window.
 * Usage: bench/wal-fetch.sh [segments=50] [windows=0,8] [rounds=2]
 */
public final class WalFetchBenchmark {
    private WalFetchBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        int count = args.length > 0 ? Integer.parseInt(args[0]) : 50;
        String[] windows = (args.length > 1 ? args[1] : "0,8").split(",");
        int rounds = args.length > 2 ? Integer.parseInt(args[2]) : 2;
        Path dir = Files.createTempDirectory("pgwarden-walfetch-bench-");
        try (BackupSetup setup = BackupSetup.start(dir, Map.of("max_wal_size", "4GB"), "")) {
            List<String> segments = archive(setup, count);
            System.out.printf(Locale.ROOT, "%d segments of 16 MiB archived; %d rounds%n", segments.size(), rounds);
            inProcess(setup, dir, segments, windows);
            for (int round = 1; round <= rounds; round++) {
                for (String w : windows) {
                    Path config = dir.resolve("pgwarden-" + w + ".yaml");
                    Path spool = dir.resolve("spool-" + w);
                    Files.writeString(config, Files.readString(setup.config()) + "restore:\n  wal-prefetch: " + w
                            + "\n  spool-directory: " + spool + "\n");
                    delete(spool);
                    Path target = Files.createDirectories(dir.resolve("restore"));
                    long start = System.nanoTime();
                    for (String name : segments) {
                        try (Distribution d = Distribution.start(Map.of(), List.of("--config", config.toString(),
                                "wal-fetch", name, target.resolve("RECOVERYXLOG").toString()))) {
                            int code = d.waitFor(java.time.Duration.ofMinutes(2));
                            if (code != 0) {
                                throw new AssertionError("wal-fetch " + name + " exited " + code + ":\n" + d.transcript());
                            }
                        }
                    }
                    double seconds = (System.nanoTime() - start) / 1e9;
                    System.out.printf(Locale.ROOT, "round %d wal-prefetch %s: %.1f s total, %.0f ms per segment%n",
                            round, w, seconds, seconds * 1000 / segments.size());
                }
            }
        } finally {
            delete(dir);
        }
    }

    /**
     * The same sequence inside one JVM, calling the feature directly, so the figures leave out the
     * process start that dominates a real restore_command, with and without an added latency per
     * repository request (what an object store far away costs; a local directory has none).
     */
    private static void inProcess(BackupSetup setup, Path dir, List<String> segments, String[] windows)
            throws Exception {
        BackupSetup.Repository repo = setup.open();
        for (int latencyMs : new int[]{0, 50}) {
            ObjectStore store = delayed(repo.store(), latencyMs);
            SealedObjects objects = new SealedObjects(store, "test", repo.keyring(), Codec.zstd(1));
            for (String w : windows) {
                Path spoolBase = dir.resolve("spool-in-process-" + w);
                delete(spoolBase);
                WalSpool spool = WalSpool.forStanza(spoolBase, "test", store.describe(), 2 * Integer.parseInt(w));
                WalFetch fetch = new WalFetch(() -> new WalFetch.Archive(objects, new WalArchiveIndex(store),
                        () -> 16 << 20), spool, Integer.parseInt(w), Metrics.noop());
                Path target = Files.createDirectories(dir.resolve("restore")).resolve("RECOVERYXLOG");
                long start = System.nanoTime();
                long worst = 0;
                for (String name : segments) {
                    long t = System.nanoTime();
                    fetch.fetch(name, target);
                    worst = Math.max(worst, System.nanoTime() - t);
                }
                double seconds = (System.nanoTime() - start) / 1e9;
                System.out.printf(Locale.ROOT, "in-process, %d ms per request, wal-prefetch %s: %.2f s total,"
                        + " %.0f ms per segment, slowest call %d ms%n", latencyMs, w, seconds,
                        seconds * 1000 / segments.size(), worst / 1_000_000);
            }
        }
    }

    /** {@code store} with {@code millis} of latency before every read request, as a remote store has. */
    private static ObjectStore delayed(ObjectStore store, int millis) {
        return (ObjectStore) Proxy.newProxyInstance(ObjectStore.class.getClassLoader(), new Class<?>[]{ObjectStore.class},
                (proxy, method, args) -> {
                    if (millis > 0 && Set.of("get", "list", "stat").contains(method.getName())) {
                        Thread.sleep(millis);
                    }
                    try {
                        return method.invoke(store, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
    }

    /** Fills WAL with table rows until {@code count} consecutive segments are archived. */
    private static List<String> archive(BackupSetup setup, int count) throws Exception {
        setup.cli("stanza-create");
        setup.pg().sql("CREATE TABLE t (id int, v text)");
        // About 10 MiB of WAL per 100k rows of 32-character text.
        for (int i = 0; i < count * 16 / 10 + 1; i++) {
            setup.pg().sql("INSERT INTO t SELECT g, md5(g::text) FROM generate_series(1, 100000) g");
        }
        String last = setup.pg().queryString("SELECT pg_walfile_name(pg_switch_wal())");
        WalArchiveIndex index = new WalArchiveIndex(new FilesystemObjectStore(setup.repository()));
        while (index.find(last).isEmpty()) {
            Thread.sleep(200);
        }
        List<String> all = new ArrayList<>();
        try (Stream<org.pgwarden.storage.ObjectInfo> s = index.list("00000001")) {
            s.map(i -> WalArchiveIndex.fileName(i.key())).filter(n -> n.length() == 24).forEach(all::add);
        }
        return all.subList(Math.max(0, all.size() - count), all.size());
    }

    private static void delete(Path p) throws Exception {
        if (Files.exists(p)) {
            try (Stream<Path> s = Files.walk(p)) {
                s.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
            }
        }
    }
}
