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
import org.pgwarden.drill.Drill;
import org.pgwarden.job.JobContext;
import org.pgwarden.metrics.Metrics;
import org.pgwarden.pg.SqlWork;
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
        return new Drill(config.drill(), new RestoreSide(restore, restoreCommand), (parent, startTimeout) -> {
            // A drill killed with its process (kill -9, power loss) left its scratch cluster: remove it first.
            LocalCluster.removeAbandoned(parent, SCRATCH_PREFIX);
            return new ScratchServer(LocalCluster.createEmpty(LocalCluster.options().binaries(binaries)
                    .parentDirectory(parent).directoryPrefix(SCRATCH_PREFIX).startTimeout(startTimeout)
                    .settings(SCRATCH_SETTINGS)));
        }, repo.objects(), clock, metrics);
    }

    private record RestoreSide(Restore restore, String restoreCommand) implements Drill.Restorer {
        @Override
        public Drill.Plan plan(Optional<BackupLabel> set, Optional<Instant> targetTime) {
            Restore.Plan p = restore.plan(set, target(targetTime), Optional.empty());
            WalPlan wal = p.wal().plan();
            return new Drill.Plan(p.choice().backup().label(), p.choice().backup().footer().totalSize(),
                    wal.segments(wal.stageSpans()) * wal.segmentSize(), p.choice().backup().header().stopTime(),
                    wal.reachableAt(), wal.reachable().toString(), p.wal().problem()
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

        @Override
        public void close() {
            cluster.close();
        }
    }

}
