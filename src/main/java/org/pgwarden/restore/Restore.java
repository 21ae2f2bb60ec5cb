package org.pgwarden.restore;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.pgwarden.common.ByteSize;
import org.pgwarden.common.ErrorCode;
import org.pgwarden.common.PgwardenException;
import org.pgwarden.common.WorkQueues;
import org.pgwarden.config.WalFetchConfig.WalSource;
import org.pgwarden.job.JobContext;
import org.pgwarden.job.Progress;
import org.pgwarden.metrics.MeterNames;
import org.pgwarden.metrics.Metrics;
import org.pgwarden.pg.PgDataLayout;
import org.pgwarden.repo.BackupCatalog;
import org.pgwarden.repo.BackupInfo;
import org.pgwarden.repo.BackupLabel;
import org.pgwarden.repo.ManifestEntry;
import org.pgwarden.repo.ManifestHeader;
import org.pgwarden.repo.ManifestReader;
import org.pgwarden.repo.SealedObjects;
import org.pgwarden.repo.StanzaStore;
import org.pgwarden.repo.WalArchiveIndex;
import org.pgwarden.storage.ObjectStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Restores one backup into a data directory, from the repository alone, and prepares PostgreSQL
 * to recover to a target: {@code backup_label}, {@code tablespace_map}, {@code recovery.signal}
 * and the recovery settings.
 */
public final class Restore {
    private static final Logger log = LoggerFactory.getLogger(Restore.class);

    /**
     * What to restore.
     *
     * @param set              a backup, or empty to choose from the target
     * @param restoreCommand   the {@code restore_command} that fetches WAL from the repository; with
     *                         {@code prestage} it is the fallback for anything not staged
     * @param tablespaces      new locations for tablespaces, by their old location
     * @param walSource        whether WAL is fetched on demand or staged before PostgreSQL starts
     * @param stagingDirectory where to stage WAL; empty: {@code pgwarden-wal} in the data directory
     */
    public record Request(Path pgdata, Optional<BackupLabel> set, RecoveryTarget target, RecoveryTarget.Action action,
            Optional<String> targetTimeline, boolean delta, Map<Path, Path> tablespaces, String restoreCommand,
            String osUser, int parallelism, WalSource walSource, Optional<Path> stagingDirectory) {

        public Request(Path pgdata, Optional<BackupLabel> set, RecoveryTarget target, RecoveryTarget.Action action,
                Optional<String> targetTimeline, boolean delta, Map<Path, Path> tablespaces, String restoreCommand,
                String osUser, int parallelism) {
            this(pgdata, set, target, action, targetTimeline, delta, tablespaces, restoreCommand, osUser, parallelism,
                    WalSource.FETCH, Optional.empty());
        }

        /** Where staged WAL goes. */
        public Path staging() {
            return stagingDirectory.orElse(pgdata.resolve(WalStaging.DIRECTORY));
        }
    }

    /**
     * @param wal    the WAL check done before anything was written; its warning, if any, belongs
     *               in the summary
     * @param staged WAL staged ahead of recovery ({@code prestage} only)
     */
    public record Result(BackupLabel label, String why, long files, long bytesWritten, long bytesFetched,
            Duration took, WalCheck.Result wal, Optional<WalStaging.Result> staged) {

        /** What was restored, as the first line of the summary: backup, directory, sizes, target. */
        public String headline(Request request) {
            return "restored backup " + label + " (" + why + ") into '" + request.pgdata() + "': " + files + " files, "
                    + ByteSize.ofBytes(bytesWritten).toHuman() + " written, " + ByteSize.ofBytes(bytesFetched).toHuman()
                    + " fetched, " + took.toSeconds() + "s; recovery to " + request.target().describe() + ", WAL "
                    + request.walSource().text();
        }

        /** Lines for the operator after the first: WAL, staging, warnings. */
        public List<String> details() {
            List<String> out = new ArrayList<>();
            WalPlan p = wal.plan();
            out.add("WAL: timeline " + wal.timeline() + ", " + p.segments(p.spans()) + " segment(s) checked from the"
                    + " backup's start, readable up to LSN " + p.reachable()
                    + p.reachableAt().map(t -> " (stored at " + t + ")").orElse(""));
            staged.ifPresent(st -> out.addAll(WalStaging.describe(st)));
            wal.problem().ifPresent(pr -> {
                out.add("WARNING: " + pr.message());
                out.add("HINT: " + pr.hint());
            });
            return out;
        }
    }

    /** What a restore would do: the backup, and the WAL check (with any problem) for the target. */
    public record Plan(Choice choice, WalCheck.Result wal) {
    }

    private final ObjectStore store;
    private final SealedObjects objects;
    private final Clock clock;

    private final Metrics metrics;

    public Restore(ObjectStore store, SealedObjects objects, Clock clock) {
        this(store, objects, clock, Metrics.noop());
    }

    public Restore(ObjectStore store, SealedObjects objects, Clock clock, Metrics metrics) {
        this.store = store;
        this.objects = objects;
        this.clock = clock;
        this.metrics = metrics;
    }

    /**
     * Chooses the backup and checks, from listings and history files only, that the archive holds
     * the WAL from the backup's start to the target along the timeline path. Throws when the
     * timeline cannot be followed; a missing segment is returned as the plan's problem.
     */
    public Plan plan(Optional<BackupLabel> set, RecoveryTarget target, Optional<String> targetTimeline) {
        Choice choice = choose(set, target, targetTimeline);
        int segmentSize = new StanzaStore(store, objects).load().walSegmentSize();
        WalCheck.Result wal = new WalCheck(new WalArchiveIndex(store), objects, segmentSize)
                .check(choice.backup().header(), target, targetTimeline);
        return new Plan(choice, wal);
    }

    /** Which backup a restore to {@code target} starts from, and why. */
    public record Choice(BackupInfo backup, String why) {
    }

    /**
     * The backup to start from: {@code set}, or the newest that ended before a time or LSN
     * target, else the latest; only backups from which recovery can reach the target timeline
     * ({@code --target-timeline}, PostgreSQL's default {@code latest} when empty) are candidates.
     */
    public Choice choose(Optional<BackupLabel> set, RecoveryTarget target, Optional<String> targetTimeline) {
        List<BackupInfo> all = new BackupCatalog(store, objects).list();
        if (all.isEmpty()) {
            throw new PgwardenException(ErrorCode.REPO_OBJECT_MISSING, "the repository '" + store.describe()
                    + "' holds no backup", "take one with 'pgwarden backup --type full'", null);
        }
        Optional<RecoveryTimeline> history = RecoveryTimeline.forTarget(targetTimeline, all, new WalArchiveIndex(store),
                objects);
        if (set.isPresent()) {
            BackupInfo b = all.stream().filter(i -> i.label().equals(set.get())).findFirst()
                    .orElseThrow(() -> new PgwardenException(ErrorCode.REPO_OBJECT_MISSING, "no backup '" + set.get()
                            + "' in '" + store.describe() + "'", "list backups with 'pgwarden info'", null));
            if (history.isPresent() && !history.get().reachableFrom(b)) {
                throw new PgwardenException(ErrorCode.USAGE, "backup " + b.label() + " (timeline "
                        + b.header().timeline() + ", ended at LSN " + b.header().stopLsn() + ") is not on the history"
                        + " of timeline " + history.get().timeline() + ", so recovery from it cannot reach that timeline",
                        "choose another backup, or --target-timeline " + b.header().timeline(), null);
            }
            return new Choice(b, "asked for with --set");
        }
        List<BackupInfo> backups = history.map(h -> all.stream().filter(h::reachableFrom).toList()).orElse(all);
        if (backups.isEmpty()) {
            throw new PgwardenException(ErrorCode.USAGE, "no backup in '" + store.describe() + "' is on the history of"
                    + " timeline " + history.orElseThrow().timeline() + "; recovery cannot reach it from any of them",
                    "check --target-timeline; 'pgwarden info' lists backups with their timelines", null);
        }
        Choice choice = chooseAmong(backups, target);
        return backups.size() == all.size() ? choice : new Choice(choice.backup(), choice.why() + "; "
                + (all.size() - backups.size()) + " backup(s) not on the history of timeline "
                + history.orElseThrow().timeline() + " left out");
    }

    private Choice chooseAmong(List<BackupInfo> backups, RecoveryTarget target) {
        BackupInfo newest = backups.stream().max(Comparator.comparing(BackupInfo::label)).orElseThrow();
        if (target instanceof RecoveryTarget.Time t) {
            return backups.stream().filter(b -> !b.header().stopTime().isAfter(t.at()))
                    .max(Comparator.comparing(b -> b.header().stopTime()))
                    .map(b -> new Choice(b, "the newest backup that ended before " + t.at() + " (at "
                            + b.header().stopTime() + ")"))
                    .orElseThrow(() -> tooEarly("target time " + t.at(), backups));
        }
        if (target instanceof RecoveryTarget.Lsn l) {
            return backups.stream().filter(b -> !org.pgwarden.pg.Lsn.parse(b.header().stopLsn()).isAfter(l.lsn()))
                    .max(Comparator.comparing(b -> org.pgwarden.pg.Lsn.parse(b.header().stopLsn())))
                    .map(b -> new Choice(b, "the newest backup that ended before LSN " + l.lsn() + " (at "
                            + b.header().stopLsn() + ")"))
                    .orElseThrow(() -> tooEarly("target LSN " + l.lsn(), backups));
        }
        return new Choice(newest, "the latest backup");
    }

    /**
     * A target before the end of the oldest backup cannot be reached: recovery can only stop after
     * a backup is consistent, so the oldest recoverable point is where the oldest backup ended.
     */
    private PgwardenException tooEarly(String target, List<BackupInfo> backups) {
        BackupInfo oldest = backups.stream().min(Comparator.comparing(b -> b.header().stopTime())).orElseThrow();
        return new PgwardenException(ErrorCode.USAGE, target + " is before the oldest backup ended: the oldest"
                + " recoverable point in '" + store.describe() + "' is " + oldest.header().stopTime() + " (LSN "
                + oldest.header().stopLsn() + "), the end of backup " + oldest.label(),
                "choose a target at or after that point; 'pgwarden info' lists the backups", null);
    }

    public Result run(Request request, JobContext context) throws IOException {
        Instant started = clock.instant();
        try {
            Result r = restore(request, context, started);
            metrics.observe(MeterNames.RESTORE_DURATION, r.took(), "outcome", "succeeded");
            return r;
        } catch (IOException | RuntimeException e) {
            metrics.observe(MeterNames.RESTORE_DURATION, Duration.between(started, clock.instant()), "outcome",
                    "failed");
            throw e;
        }
    }

    private Result restore(Request request, JobContext context, Instant started) throws IOException {
        // Everything that can prove the restore pointless is checked before the first byte is written.
        Plan plan = plan(request.set(), request.target(), request.targetTimeline());
        Choice choice = plan.choice();
        BackupLabel label = choice.backup().label();
        Optional<WalPlan.Problem> problem = plan.wal().problem();
        if (problem.isPresent() && problem.get().severity() == WalPlan.Severity.ERROR) {
            throw new PgwardenException(ErrorCode.WAL_GAP, problem.get().message(), problem.get().hint(), null);
        }
        problem.ifPresent(p -> log.warn("{}; HINT: {}", p.message(), p.hint()));
        TargetDirectory.prepare(request.pgdata(), request.delta());
        Tablespaces.check(choice.backup().header(), request.tablespaces(), request.delta());
        log.info("restoring backup {} ({}) into '{}', recovery to {}, WAL {}", label, choice.why(), request.pgdata(),
                request.target().describe(), request.walSource().text());
        FileOwner owner = FileOwner.forRestore(request.pgdata(), request.osUser());
        AtomicLong files = new AtomicLong();
        AtomicLong written = new AtomicLong();
        AtomicLong fetched = new AtomicLong();
        AtomicLong done = new AtomicLong();
        // Either side failing stops the other: data files and WAL staged alongside share it.
        AtomicReference<Throwable> failure = new AtomicReference<>();
        // Staging needs nothing from the data files, so into a fresh directory it runs alongside them
        // and uses the time their writers wait for the disk. A delta restore stages afterwards:
        // removing the files the backup does not hold would race with it.
        boolean prestage = request.walSource() == WalSource.PRESTAGE;
        AtomicLong stagedBytes = new AtomicLong();
        CompletableFuture<WalStaging.Result> alongside = prestage && !request.delta()
                ? CompletableFuture.supplyAsync(() -> stageAlongside(plan, request, owner, context, failure, stagedBytes),
                        r -> {
                            Thread t = new Thread(r, "pgwarden-wal-stage-main");
                            t.setDaemon(true);
                            t.start();
                        })
                : null;
        long total = choice.backup().footer().totalSize() + (alongside == null ? 0 : WalStaging.totalBytes(plan.wal()));
        ManifestHeader header;
        try (ManifestReader manifest = ManifestReader.open(objects, label);
                Progress progress = Progress.start("restore " + label, total, () -> done.get() + stagedBytes.get(),
                        clock)) {
            header = manifest.header();
            writeAll(manifest, request, owner, context, files, written, fetched, done, failure);
        } catch (IOException | RuntimeException e) {
            failure.compareAndSet(null, e);
            awaitQuietly(alongside);
            throw e;
        }
        metrics.increment(MeterNames.RESTORE_BYTES, written.get(), "what", "files");
        try {
            return finish(plan, request, context, started, owner, header, alongside, files, written, fetched);
        } catch (IOException | RuntimeException e) {
            // The control file is in place by now; without it PostgreSQL refuses to start on a
            // directory whose WAL staging or recovery settings failed (it would otherwise try crash
            // recovery from the backup's checkpoint, without backup_label).
            try {
                Files.deleteIfExists(request.pgdata().resolve(PgDataLayout.CONTROL_FILE));
            } catch (IOException ignored) {
                // the first failure is the one reported
            }
            throw e;
        }
    }

    private Result finish(Plan plan, Request request, JobContext context, Instant started, FileOwner owner,
            ManifestHeader header, CompletableFuture<WalStaging.Result> alongside, AtomicLong files,
            AtomicLong written, AtomicLong fetched) throws IOException {
        BackupLabel label = plan.choice().backup().label();
        boolean prestage = request.walSource() == WalSource.PRESTAGE;
        if (request.delta()) {
            long removed = TargetDirectory.removeExtras(request.pgdata(), objects, label);
            log.info("delta restore removed {} file(s) that are not in backup {}", removed, label);
        }
        Optional<WalStaging.Result> staged = Optional.empty();
        String restoreCommand = request.restoreCommand();
        if (prestage) {
            WalStaging.Result s = alongside != null ? join(alongside)
                    : new WalStaging(new WalArchiveIndex(store), objects, clock)
                            .stage(plan.wal(), request.staging(), owner, request.parallelism(), context);
            metrics.increment(MeterNames.RESTORE_BYTES, s.bytes(), "what", "wal");
            staged = Optional.of(s);
            restoreCommand = WalStaging.restoreCommand(s.directory(), request.restoreCommand());
        }
        // Written last: a restore that failed earlier leaves no recovery.signal to start from.
        RecoveryFiles.write(request, restoreCommand, header, owner);
        owner.directory(request.pgdata(), 0700);
        Duration took = Duration.between(started, clock.instant());
        Result result = new Result(label, plan.choice().why(), files.get(), written.get(), fetched.get(), took,
                plan.wal(), staged);
        log.info("restored backup {} into '{}': {} files, {} written, {} fetched, {}s; {}", label, request.pgdata(),
                files.get(), ByteSize.ofBytes(written.get()).toHuman(), ByteSize.ofBytes(fetched.get()).toHuman(),
                took.toSeconds(), String.join("; ", result.details()));
        return result;
    }

    private WalStaging.Result stageAlongside(Plan plan, Request request, FileOwner owner, JobContext context,
            AtomicReference<Throwable> failure, AtomicLong bytes) {
        try {
            return new WalStaging(new WalArchiveIndex(store), objects, clock).stageAlongside(plan.wal(),
                    request.staging(), owner, request.parallelism(), context, failure, bytes);
        } catch (IOException e) {
            failure.compareAndSet(null, e);
            throw new UncheckedIOException(e);
        } catch (RuntimeException e) {
            failure.compareAndSet(null, e);
            throw e;
        }
    }

    /** The staging's result, or its failure as it was thrown. */
    private static WalStaging.Result join(CompletableFuture<WalStaging.Result> staging) throws IOException {
        try {
            return staging.join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof UncheckedIOException u) {
                throw u.getCause();
            }
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            throw e;
        }
    }

    /** After the data files failed: lets the staging stop (it sees the failure) before the error is reported. */
    private static void awaitQuietly(CompletableFuture<WalStaging.Result> staging) {
        if (staging == null) {
            return;
        }
        try {
            staging.join();
        } catch (CompletionException | java.util.concurrent.CancellationException ignored) {
            // the data files' failure is the one reported
        }
    }

    private record Task(ManifestEntry entry, Path target) {
        static final Task END = new Task(null, null);
    }

    private void writeAll(ManifestReader manifest, Request request, FileOwner owner, JobContext context,
            AtomicLong files, AtomicLong written, AtomicLong fetched, AtomicLong done, AtomicReference<Throwable> failure)
            throws IOException {
        int workers = Math.max(1, request.parallelism());
        BlockingQueue<Task> queue = new ArrayBlockingQueue<>(workers * 4);
        ExecutorService pool = Executors.newFixedThreadPool(workers, r -> {
            Thread t = new Thread(r, "pgwarden-restore");
            t.setDaemon(true);
            return t;
        });
        List<Future<?>> running = new ArrayList<>();
        // The control file is written last, and in delta mode the old one goes first: a restore
        // that fails midway leaves a directory PostgreSQL refuses to start, never a mix of files
        // it would start on.
        Path controlFile = request.pgdata().resolve(PgDataLayout.CONTROL_FILE);
        if (request.delta()) {
            Files.deleteIfExists(controlFile);
        }
        ManifestEntry control = null;
        // fsync is mostly waiting for the device: more sync threads than writers keep it busy.
        FileCommitter committer = new FileCommitter(request.pgdata(), 2 * workers);
        for (int i = 0; i < workers; i++) {
            running.add(pool.submit(() -> {
                ChunkCache cache = new ChunkCache(objects);
                FileWriter writer = new FileWriter(cache, committer, owner, context);
                try {
                    for (Task t = queue.take(); t != Task.END && failure.get() == null; t = queue.take()) {
                        written.addAndGet(writer.write(t.entry(), t.target(), request.delta()));
                        files.incrementAndGet();
                        done.addAndGet(t.entry().size());
                    }
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                } finally {
                    fetched.addAndGet(cache.fetchedBytes());
                }
            }));
        }
        try {
            for (ManifestEntry e : manifest) {
                if (failure.get() != null) {
                    break;
                }
                context.checkCancelled();
                Path target = TargetDirectory.resolve(request.pgdata(), e.path());
                switch (e.type()) {
                    case DIRECTORY -> {
                        Files.createDirectories(target);
                        owner.directory(target, e.mode());
                    }
                    case SYMLINK -> TargetDirectory.link(target, e, request.tablespaces(), owner);
                    case FILE -> {
                        if (e.path().equals(PgDataLayout.CONTROL_FILE)) {
                            control = e;
                            continue;
                        }
                        while (!queue.offer(new Task(e, target), 100, TimeUnit.MILLISECONDS)) {
                            if (failure.get() != null) {
                                break;
                            }
                        }
                    }
                    default -> throw new IllegalStateException(e.type().toString());
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            failure.compareAndSet(null, e);
        } catch (RuntimeException e) {
            failure.compareAndSet(null, e);
        } finally {
            WorkQueues.end(queue, Task.END, workers, failure, pool);
            for (Future<?> f : running) {
                try {
                    f.get();
                } catch (Exception ignored) {
                    // workers record their own failure
                }
            }
            pool.shutdownNow();
            try {
                if (failure.get() == null) {
                    committer.finish();   // every file in place and on disk before success is declared
                }
            } catch (InterruptedException ie) {
                Thread.currentThread().interrupt();
                failure.compareAndSet(null, ie);
            } catch (RuntimeException e) {
                failure.compareAndSet(null, e);
            } finally {
                committer.close();
            }
        }
        if (failure.get() != null) {
            throw PgwardenException.of(failure.get());
        }
        if (control != null) {
            // Only now is every other file in place and on disk (committer.finish above).
            ChunkCache cache = new ChunkCache(objects);
            try (FileCommitter last = new FileCommitter(request.pgdata(), 1)) {
                written.addAndGet(new FileWriter(cache, last, owner, context).write(control, controlFile, request.delta()));
                last.finish();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw PgwardenException.of(e);
            }
            files.incrementAndGet();
            fetched.addAndGet(cache.fetchedBytes());
        }
    }
}
