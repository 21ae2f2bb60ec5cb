package org.pgwarden.app;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import org.pgwarden.backup.Backup;
import org.pgwarden.common.ErrorCode;
import org.pgwarden.common.ExitCode;
import org.pgwarden.common.PgwardenException;
import org.pgwarden.config.ConfigLoader;
import org.pgwarden.config.PgwardenConfig;
import org.pgwarden.config.WalFetchConfig.WalSource;
import org.pgwarden.job.JobContext;
import org.pgwarden.metrics.Metrics;
import org.pgwarden.repo.BackupLabel;
import org.pgwarden.restore.RecoveryTarget;
import org.pgwarden.restore.Restore;
import org.pgwarden.restore.SafetyCopy;
import org.pgwarden.restore.Tablespaces;
import org.pgwarden.restore.WalPlan;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "restore", mixinStandardHelpOptions = true,
        description = {"Restore a backup into a data directory and prepare recovery to a target.",
            "Uses only the repository. Refuses a directory a running PostgreSQL uses, and a non-empty",
            "one unless --delta. Checks that the archive holds the WAL to reach the target before writing.",
            "Start PostgreSQL afterwards; it gets WAL with 'pgwarden wal-fetch', or from the staged copy with",
            "--wal-source prestage. When the daemon of this configuration answers on its admin API, the",
            "restore runs there (a warm JVM restores faster) and this command follows it; otherwise, or",
            "with --in-process, --dry-run or --safety-backup, it runs in this process."})
final class RestoreCommand implements Callable<Integer>, DaemonRequest.Source {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final PgwardenCli root;

    @Option(names = "--pgdata", required = true, paramLabel = "DIR", description = "Data directory to restore into.")
    Path pgdata;

    @Option(names = "--set", paramLabel = "LABEL|latest", description = "The backup (default: chosen from the target).")
    String set;

    @Option(names = "--target-time", paramLabel = "TIME", description = "Recover to this time (ISO-8601, e.g. 2026-11-24T08:15:00Z).")
    String targetTime;

    @Option(names = "--target-lsn", paramLabel = "LSN", description = "Recover to this WAL position (e.g. 0/5000028).")
    String targetLsn;

    @Option(names = "--target-xid", paramLabel = "XID", description = "Recover to this transaction.")
    String targetXid;

    @Option(names = "--target-name", paramLabel = "NAME", description = "Recover to this restore point.")
    String targetName;

    @Option(names = "--target", paramLabel = "immediate|latest",
            description = "immediate: stop as soon as the backup is consistent; latest (default): replay all archived WAL.")
    String target;

    @Option(names = "--target-action", defaultValue = "pause", paramLabel = "promote|pause|shutdown",
            description = "What PostgreSQL does at the target (default: ${DEFAULT-VALUE}, as PostgreSQL).")
    String targetAction;

    @Option(names = "--target-timeline", paramLabel = "N|latest|current",
            description = "Timeline to recover along (default: latest, as PostgreSQL).")
    String targetTimeline;

    @Option(names = "--delta", description = "Rewrite only files that differ; remove files the backup does not hold.")
    boolean delta;

    @Option(names = "--safety-backup", arity = "0..1", fallbackValue = "", paramLabel = "DIR",
            description = {"With --delta: first copy the stopped cluster in --pgdata (and its tablespaces) into DIR,",
                "a new directory (default: next to it, <pgdata>.safety-<UTC time>), so it can be returned to."})
    String safetyBackup;

    @Option(names = "--tablespace-map", paramLabel = "OLD=NEW", description = "Restore a tablespace elsewhere.")
    List<String> tablespaceMap = List.of();

    @Option(names = "--parallelism", defaultValue = "2", paramLabel = "N", description = "Files written at once.")
    int parallelism;

    @Option(names = "--dry-run", description = "Say which backup would be restored and why, and check the WAL; write nothing.")
    boolean dryRun;

    @Option(names = "--in-process", description = "Restore in this process even when a daemon answers.")
    boolean inProcess;

    @Option(names = "--wal-source", paramLabel = "fetch|prestage",
            description = "fetch: recovery fetches WAL from the repository as it asks; prestage: download it before"
                    + " PostgreSQL starts (default: restore.wal-source, fetch).")
    String walSource;

    RestoreCommand(PgwardenCli root) {
        this.root = root;
    }

    @Override
    public Integer call() throws Exception {
        ConfigLoader.Loaded loaded = root.loadConfig();
        PgwardenConfig config = loaded.config();
        LoggingSetup.apply(config.logging());
        RestoreOptions options = options();
        RestoreOptions.Parsed parsed = check(options, config);
        RecoveryTarget recoveryTarget = parsed.target();
        RecoveryTarget.Action action = parsed.action();
        Optional<BackupLabel> label = parsed.label();
        Map<Path, Path> tablespaces = parsed.tablespaces();
        WalSource source = parsed.walSource();
        Path safetyCopy = safetyBackup == null ? null : safetyBackup.isEmpty()
                ? SafetyCopy.defaultLocation(pgdata, root.context().clock().instant())
                : Path.of(safetyBackup).toAbsolutePath();
        var out = root.context().out();
        Optional<DaemonRequest> handOver = daemonRequest(pgdata.toAbsolutePath(), options, parsed);
        if (handOver.isPresent()) {
            // A warm daemon restores faster than this fresh process.
            Optional<Integer> inDaemon = DaemonHandOver.RESTORE.run(config.admin(), handOver.get(), out,
                    root.context().err());
            if (inDaemon.isPresent()) {
                return inDaemon.get();
            }
        }
        try (Components components = Components.open(config, root.context().environment(), Metrics.noop())) {
            RepositoryAccess repo = RepositoryAccess.open(config, components, root.context().clock());
            Restore restore = new Restore(repo.store(), repo.objects(), root.context().clock(), Metrics.noop());
            Optional<String> timeline = Optional.ofNullable(targetTimeline);
            if (dryRun) {
                Restore.Plan plan = restore.plan(label, recoveryTarget, timeline);
                Tablespaces.check(plan.choice().backup().header(), tablespaces, delta);
                if (safetyCopy != null) {
                    out.println("would first copy the stopped cluster in '" + pgdata.toAbsolutePath() + "' into '"
                            + safetyCopy + "': " + Backup.human(SafetyCopy.check(pgdata.toAbsolutePath(), safetyCopy,
                                    plan.choice().backup().header().systemIdentifier())));
                }
                return dryRun(plan, recoveryTarget, source, out);
            }
            String restoreCommand = walFetchCommand(Path.of(loaded.source()));
            JobContext context = JobContext.standalone("restore", "restore", root.context().clock());
            if (safetyCopy != null) {
                // Before anything is overwritten: the old cluster, whole, so it can be returned to.
                // The copy must be of this stanza's cluster: the chosen backup names its system identifier.
                long systemIdentifier = restore.choose(label, recoveryTarget, timeline).backup().header()
                        .systemIdentifier();
                SafetyCopy.Result copy = SafetyCopy.take(pgdata.toAbsolutePath(), safetyCopy, systemIdentifier,
                        "postgres", context);
                out.println("✔ safety copy of '" + pgdata.toAbsolutePath() + "' in '" + copy.directory() + "': "
                        + copy.files() + " files, " + Backup.human(copy.bytes()) + "; to go back, see '"
                        + copy.directory().resolve("SAFETY-COPY.txt") + "'");
                out.flush();
            }
            Restore.Request request = new Restore.Request(pgdata.toAbsolutePath(), label, recoveryTarget, action,
                    timeline, delta, tablespaces, restoreCommand, "postgres", parallelism, source,
                    config.restore().stagingDirectory());
            Restore.Result r = restore.run(request, context);
            out.println("✔ " + r.headline(request));
            r.details().forEach(out::println);
            nextSteps(pgdata.toAbsolutePath(), recoveryTarget, action).forEach(out::println);
            return ExitCode.OK;
        }
    }

    private int dryRun(Restore.Plan plan, RecoveryTarget recoveryTarget, WalSource source, java.io.PrintWriter out) {
        WalPlan wal = plan.wal().plan();
        out.println("would restore backup " + plan.choice().backup().label() + " (" + plan.choice().why() + ") into '"
                + pgdata.toAbsolutePath() + "': " + Backup.human(plan.choice().backup().footer().totalSize())
                + ", then recover to " + recoveryTarget.describe());
        out.println("WAL: timeline " + plan.wal().timeline() + ", " + wal.segments(wal.spans()) + " segment(s)"
                + " checked from the backup's start, readable up to LSN " + wal.reachable()
                + wal.reachableAt().map(t -> " (stored at " + t + ")").orElse("")
                + (source == WalSource.PRESTAGE ? "; would stage " + wal.segments(wal.stageSpans()) + " segment(s), "
                + Backup.human(wal.segments(wal.stageSpans()) * wal.segmentSize()) : ""));
        Optional<WalPlan.Problem> problem = plan.wal().problem();
        if (problem.isPresent()) {
            boolean error = problem.get().severity() == WalPlan.Severity.ERROR;
            out.println((error ? "ERROR [" + ErrorCode.WAL_GAP.id() + "]: the restore would fail: " : "WARNING: ")
                    + problem.get().message());
            out.println("HINT: " + problem.get().hint());
            return error ? ErrorCode.WAL_GAP.exitCode() : ExitCode.OK;
        }
        return ExitCode.OK;
    }

    /** The restore_command that fetches WAL with this configuration file. */
    static String walFetchCommand(Path configFile) {
        return Launcher.command() + " --config " + configFile.toAbsolutePath() + " wal-fetch %f %p";
    }

    /** What to do once the files are in place: start PostgreSQL, and what to check. */
    static List<String> nextSteps(Path pgdata, RecoveryTarget target, RecoveryTarget.Action action) {
        return List.of("next: start PostgreSQL on it (as its OS user): pg_ctl -D '" + pgdata + "' start; it replays WAL to "
                        + target.describe() + (target instanceof RecoveryTarget.Latest ? "" : " and then will "
                        + action.setting()),
                "then check: the server log says 'consistent recovery state reached' and, at the end,"
                        + " 'recovery stopping' (target) or 'archive recovery complete'; pg_is_in_recovery() is false"
                        + " once promoted; run 'pgwarden check' against it before sending traffic");
    }

    @Override
    public Optional<DaemonRequest> daemonRequest(Path workingDirectory, PgwardenConfig config) {
        RestoreOptions options = options();
        return daemonRequest(workingDirectory.resolve(pgdata), options, check(options, config));
    }

    /** The restore as a job of the daemon's admin API, unless these options keep it in this process. */
    private Optional<DaemonRequest> daemonRequest(Path directory, RestoreOptions options, RestoreOptions.Parsed parsed) {
        if (inProcess || dryRun || safetyBackup != null) {
            return Optional.empty();
        }
        ObjectNode job = JSON.createObjectNode().put("kind", DaemonJobs.RESTORE)
                .put("pgdata", directory.toString()).put("parallelism", Integer.toString(parallelism));
        if (delta) {
            job.put("delta", "true");
        }
        options.parameters().forEach(job::put);
        return Optional.of(new DaemonRequest(job, nextSteps(directory, parsed.target(), parsed.action())));
    }

    private RestoreOptions options() {
        return new RestoreOptions(set, targetTime, targetLsn, targetXid, targetName, target, targetAction,
                targetTimeline, tablespaceMap, walSource);
    }

    /** The options checked together, as the command line names them. */
    private RestoreOptions.Parsed check(RestoreOptions options, PgwardenConfig config) {
        RestoreOptions.Parsed parsed = options.parse(config.restore().walSource(), n -> "--" + n);
        if (parallelism < 1 || parallelism > 64) {
            throw RestoreOptions.usage("--parallelism must be a number from 1 to 64, got " + parallelism);
        }
        if (safetyBackup != null && !delta) {
            throw RestoreOptions.usage("--safety-backup copies an existing cluster before --delta rewrites it; without"
                    + " --delta the data directory must be empty and there is nothing to keep");
        }
        return parsed;
    }
}
