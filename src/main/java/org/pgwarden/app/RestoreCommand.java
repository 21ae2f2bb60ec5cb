package org.pgwarden.app;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.LinkedHashMap;
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
import org.pgwarden.pg.Lsn;
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
            "--wal-source prestage."})
final class RestoreCommand implements Callable<Integer> {
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
    Long targetXid;

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
        RecoveryTarget recoveryTarget = target();
        RecoveryTarget.Action action = switch (targetAction) {
            case "promote" -> RecoveryTarget.Action.PROMOTE;
            case "pause" -> RecoveryTarget.Action.PAUSE;
            case "shutdown" -> RecoveryTarget.Action.SHUTDOWN;
            default -> throw usage("--target-action '" + targetAction + "' is not promote, pause or shutdown");
        };
        Optional<BackupLabel> label = set == null || set.equals("latest") ? Optional.empty() : Optional.of(parseLabel(set));
        Map<Path, Path> tablespaces = new LinkedHashMap<>();
        for (String m : tablespaceMap) {
            int eq = m.indexOf('=');
            if (eq <= 0 || !m.substring(0, eq).startsWith("/") || !m.substring(eq + 1).startsWith("/")) {
                throw usage("--tablespace-map '" + m + "' is not /old/path=/new/path");
            }
            tablespaces.put(Path.of(m.substring(0, eq)), Path.of(m.substring(eq + 1)));
        }
        if (safetyBackup != null && !delta) {
            throw usage("--safety-backup copies an existing cluster before --delta rewrites it; without --delta the"
                    + " data directory must be empty and there is nothing to keep");
        }
        Path safetyCopy = safetyBackup == null ? null : safetyBackup.isEmpty()
                ? SafetyCopy.defaultLocation(pgdata, root.context().clock().instant())
                : Path.of(safetyBackup).toAbsolutePath();
        var out = root.context().out();
        WalSource source;
        try {
            source = walSource == null ? config.restore().walSource() : WalSource.parse(walSource);
        } catch (IllegalArgumentException e) {
            throw usage("--wal-source " + e.getMessage());
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
            String restoreCommand = Launcher.command() + " --config " + Path.of(loaded.source()).toAbsolutePath()
                    + " wal-fetch %f %p";
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
            Restore.Result r = restore.run(new Restore.Request(pgdata.toAbsolutePath(), label, recoveryTarget, action,
                    timeline, delta, tablespaces, restoreCommand, "postgres", parallelism, source,
                    config.restore().stagingDirectory()),
                    context);
            out.println("✔ restored backup " + r.label() + " (" + r.why() + ") into '" + pgdata.toAbsolutePath() + "': "
                    + r.files() + " files, " + Backup.human(r.bytesWritten()) + " written, "
                    + Backup.human(r.bytesFetched()) + " fetched, " + r.took().toSeconds() + "s; recovery to "
                    + recoveryTarget.describe() + ", WAL " + source.text());
            r.details().forEach(out::println);
            out.println("next: start PostgreSQL on it (as its OS user): pg_ctl -D '" + pgdata.toAbsolutePath()
                    + "' start; it replays WAL to " + recoveryTarget.describe()
                    + (recoveryTarget instanceof RecoveryTarget.Latest ? "" : " and then will " + action.setting()));
            out.println("then check: the server log says 'consistent recovery state reached' and, at the end,"
                    + " 'recovery stopping' (target) or 'archive recovery complete'; pg_is_in_recovery() is false"
                    + " once promoted; run 'pgwarden check' against it before sending traffic");
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

    private RecoveryTarget target() {
        int given = (targetTime != null ? 1 : 0) + (targetLsn != null ? 1 : 0) + (targetXid != null ? 1 : 0)
                + (targetName != null ? 1 : 0) + (target != null ? 1 : 0);
        if (given > 1) {
            throw usage("give at most one of --target-time, --target-lsn, --target-xid, --target-name, --target");
        }
        try {
            if (targetTime != null) {
                return new RecoveryTarget.Time(Instant.parse(targetTime));
            }
            if (targetLsn != null) {
                return new RecoveryTarget.Lsn(Lsn.parse(targetLsn));
            }
        } catch (DateTimeParseException | IllegalArgumentException e) {
            throw usage("invalid target: " + e.getMessage());
        }
        if (targetXid != null) {
            return new RecoveryTarget.Xid(targetXid);
        }
        if (targetName != null) {
            return new RecoveryTarget.Name(targetName);
        }
        if (target == null || target.equals("latest")) {
            return RecoveryTarget.latest();
        }
        if (target.equals("immediate")) {
            return RecoveryTarget.immediate();
        }
        throw usage("--target '" + target + "' is not immediate or latest");
    }

    private static BackupLabel parseLabel(String text) {
        try {
            return BackupLabel.parse(text);
        } catch (RuntimeException e) {
            throw usage("--set '" + text + "' is not a backup label or 'latest'");
        }
    }

    private static PgwardenException usage(String message) {
        return new PgwardenException(ErrorCode.USAGE, message);
    }

}
