package org.pgwarden.app;

import java.io.IOException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import org.pgwarden.adapter.process.LocalCluster;
import org.pgwarden.adapter.process.PgBinaries;
import org.pgwarden.common.ErrorCode;
import org.pgwarden.common.PgwardenException;
import org.pgwarden.config.PgwardenConfig;
import org.pgwarden.config.WalFetchConfig.WalSource;
import org.pgwarden.drill.BackupPick;
import org.pgwarden.drill.Drill;
import org.pgwarden.repo.BackupCatalog;
import org.pgwarden.repo.ManifestReader;
import org.pgwarden.repo.SealedObjects;
import org.pgwarden.storage.ObjectStore;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.pgwarden.job.JobContext;
import org.pgwarden.metrics.Metrics;
import org.pgwarden.pg.SqlWork;
import org.pgwarden.pg.TimelineId;
import org.pgwarden.repo.BackupLabel;
import org.pgwarden.restore.RecoveryTarget;
import org.pgwarden.restore.Restore;
import org.pgwarden.restore.WalPlan;

/**
 * Connects the drill to what it needs and must not know: the restore feature (a drill restores
 * exactly as {@code pgwarden restore --wal-source prestage} does) and a scratch PostgreSQL server
 * run by {@link LocalCluster} as the PostgreSQL OS user.
 */
final class DrillWiring {
    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(DrillWiring.class);
    /**
     * Settings for the scratch server: archiving off, so the copy never writes into the repository
     * it came from; small memory, as it only replays and checks; no durability, as it is thrown away.
     */
    static final Map<String, String> SCRATCH_SETTINGS = Map.of(
            "archive_mode", "off",
            "hot_standby", "on",
            "shared_buffers", "32MB",
            "work_mem", "4MB",
            "maintenance_work_mem", "64MB",
            "effective_cache_size", "128MB",
            "fsync", "off",
            "full_page_writes", "off",
            "synchronous_commit", "off");

    /** Scratch cluster directories are {@code pgwarden-drill-*} under {@code drill.scratch-directory}. */
    static final String SCRATCH_PREFIX = "pgwarden-drill-";

    private DrillWiring() {
    }

    /**
     * @param configFile the configuration file, named in the scratch cluster's {@code restore_command}
     *                   for WAL archived but not staged; without one such WAL ends recovery, as
     *                   everything archived when the drill planned is staged
     */
    static Drill drill(PgwardenConfig config, Optional<Path> configFile, RepositoryAccess repo, Clock clock,
            Metrics metrics) {
        Restore restore = new Restore(repo.store(), repo.objects(), clock, metrics);
        String restoreCommand = configFile.map(f -> Launcher.command() + " --config " + f.toAbsolutePath()
                + " wal-fetch %f %p").orElse("false");
        PgBinaries binaries = PgBinaries.locate(config.postgres().binDirectory());
        return new Drill(config.drill(), new RestoreSide(restore, restoreCommand, repo.store(), repo.objects()), (parent, startTimeout) -> {
            // A drill killed with its process (kill -9, power loss) left its scratch cluster: remove it first.
            LocalCluster.removeAbandoned(parent, SCRATCH_PREFIX);
            return new ScratchServer(LocalCluster.createEmpty(LocalCluster.options().binaries(binaries)
                    .parentDirectory(parent).directoryPrefix(SCRATCH_PREFIX).startTimeout(startTimeout)
                    .settings(SCRATCH_SETTINGS)));
        }, repo.objects(), clock, metrics);
    }

    /**
     * Stops and deletes the scratch clusters of drills whose process died (a daemon killed mid-drill):
     * the daemon calls it at start, so a restart leaves no scratch cluster behind even if no drill
     * runs for a week. A drill in progress in a live process is never touched.
     */
    static void removeAbandonedScratchClusters(Path scratchDirectory) {
        try {
            for (Path removed : LocalCluster.removeAbandoned(scratchDirectory, SCRATCH_PREFIX)) {
                log.warn("removed the scratch cluster '{}' of a drill whose process is gone", removed);
            }
        } catch (RuntimeException e) {
            log.warn("unable to remove scratch clusters of interrupted drills under '{}': {}", scratchDirectory,
                    e.toString());
        }
    }

    private record RestoreSide(Restore restore, String restoreCommand, ObjectStore store, SealedObjects objects)
            implements Drill.Restorer {
        private static final java.util.Random RANDOM = new java.security.SecureRandom();

        @Override
        public Drill.Plan plan(BackupPick pick, Optional<Instant> targetTime) {
            Optional<BackupLabel> set = pick instanceof BackupPick.Named n ? Optional.of(n.label())
                    : pick instanceof BackupPick.Random ? Optional.of(randomBackup(targetTime)) : Optional.empty();
            Restore.Plan p = restore.plan(set, target(targetTime), Optional.empty());
            WalPlan wal = p.wal().plan();
            return new Drill.Plan(p.choice().backup().label(), p.choice().backup().footer().totalSize(),
                    wal.segments(wal.stageSpans()) * wal.segmentSize(), p.choice().backup().header().stopTime(),
                    wal.reachableAt(), wal.reachable(), recoveryTimeline(wal, p), wal.segmentSize(), p.wal().problem()
                            .filter(pr -> pr.severity() == WalPlan.Severity.ERROR || wal.walAfterMissing())
                            .map(pr -> pr.message() + "; HINT: " + pr.hint()));
        }

        @Override
        public long restore(Drill.Plan plan, Optional<Instant> targetTime, Path pgdata, JobContext context)
                throws IOException {
            // Staged WAL: recovery then runs at disk speed and needs nothing but the repository.
            Restore.Result r = restore.run(new Restore.Request(pgdata, Optional.of(plan.backup()), target(targetTime),
                    RecoveryTarget.Action.PROMOTE, Optional.empty(), false, Map.of(), restoreCommand, "postgres", 2,
                    WalSource.PRESTAGE, Optional.empty()), context);
            return r.bytesWritten() + r.staged().map(s -> s.bytes()).orElse(0L);
        }

        /** The timeline of the newest segment recovery can read: the backup's own when it needs no later WAL. */
        private static TimelineId recoveryTimeline(WalPlan wal, Restore.Plan p) {
            return wal.spans().isEmpty() ? TimelineId.of(p.choice().backup().header().timeline())
                    : wal.spans().get(wal.spans().size() - 1).timeline();
        }

        /**
         * A committed backup drawn at random among those that end before the target; the headers
         * are read in random order until one qualifies, so a large catalog costs a few reads.
         */
        private BackupLabel randomBackup(Optional<Instant> targetTime) {
            List<BackupLabel> labels = new ArrayList<>(new BackupCatalog(store, objects).labels());
            Collections.shuffle(labels, RANDOM);
            for (BackupLabel l : labels) {
                if (targetTime.isEmpty() || l.time().isBefore(targetTime.get())) {
                    try (ManifestReader r = ManifestReader.open(objects, l)) {
                        if (targetTime.isEmpty() || !r.header().stopTime().isAfter(targetTime.get())) {
                            log.info("drill: backup {} drawn at random among {} committed backup(s)", l, labels.size());
                            return l;
                        }
                    }
                }
            }
            throw new PgwardenException(ErrorCode.REPO_OBJECT_MISSING, "no committed backup in the repository ends before "
                    + targetTime.map(Instant::toString).orElse("now") + " to draw a random drill from",
                    "take a backup first ('pgwarden backup --type full'), or choose a later --target-time", null);
        }

        private static RecoveryTarget target(Optional<Instant> time) {
            return time.<RecoveryTarget>map(RecoveryTarget.Time::new).orElse(RecoveryTarget.latest());
        }
    }

    private record ScratchServer(LocalCluster cluster) implements Drill.Server {
        @Override
        public Path dataDirectory() {
            return cluster.dataDirectory();
        }

        @Override
        public void start() {
            cluster.start();
        }

        @Override
        public boolean isRunning() {
            return cluster.isRunning();
        }

        @Override
        public String logTail() {
            return cluster.logTail();
        }

        @Override
        public <T> T query(String database, SqlWork<T> work) {
            Properties p = new Properties();
            p.setProperty("user", cluster.superuser());
            p.setProperty("connectTimeout", "10");
            p.setProperty("ApplicationName", "pgwarden-drill");
            String url = "jdbc:postgresql://127.0.0.1:" + cluster.port() + "/"
                    + java.net.URLEncoder.encode(database, java.nio.charset.StandardCharsets.UTF_8);
            try (Connection c = DriverManager.getConnection(url, p)) {
                return work.run(c);
            } catch (SQLException e) {
                String state = e.getSQLState() == null ? "" : e.getSQLState();
                ErrorCode code = state.startsWith("08") || state.equals("57P03") ? ErrorCode.PG_UNREACHABLE
                        : state.equals("3D000") ? ErrorCode.PG_DATABASE_MISSING : ErrorCode.PG_QUERY_FAILED;
                throw new PgwardenException(code, "scratch cluster on port " + cluster.port() + ", database '"
                        + database + "': " + e.getMessage(), e);
            }
        }

        /**
         * Stops and deletes the scratch cluster even when the drill's thread was interrupted (a
         * timeout, a daemon shutdown): with the interrupt pending, waiting for {@code pg_ctl stop}
         * would end at once and leave the server running. The interrupt is restored afterwards.
         */
        @Override
        public void close() {
            boolean interrupted = Thread.interrupted();
            try {
                cluster.close();
            } finally {
                if (interrupted) {
                    Thread.currentThread().interrupt();
                }
            }
        }
    }

}
