package org.pgwarden.app;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import org.pgwarden.backup.Backup;
import org.pgwarden.backup.BackupJob;
import org.pgwarden.common.ErrorCode;
import org.pgwarden.common.ExitCode;
import org.pgwarden.common.PgwardenException;
import org.pgwarden.config.PgwardenConfig;
import org.pgwarden.job.JobOutcome;
import org.pgwarden.job.JobRunner;
import org.pgwarden.job.JobTrigger;
import org.pgwarden.metrics.Metrics;
import org.pgwarden.repo.BackupType;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "backup", mixinStandardHelpOptions = true,
        description = {"Take a physical backup now: full, incremental (changes since the latest backup) or",
            "differential (changes since the latest full). The scheduler runs the same job.",
            "When the daemon of this configuration answers on its admin API, the backup runs there (its",
            "pipeline is warm, and it serializes the run with its schedule) and this command follows it;",
            "otherwise, or with --in-process, it runs in this process."})
final class BackupCommand implements Callable<Integer>, DaemonRequest.Source {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final PgwardenCli root;

    @Option(names = "--in-process", description = "Run the backup in this process even when a daemon answers.")
    boolean inProcess;

    @Option(names = "--type", defaultValue = "incr", paramLabel = "full|incr|diff",
            description = "Backup type (default: ${DEFAULT-VALUE}); with no full backup yet, a full one is taken.")
    String type;

    @Option(names = "--annotation", paramLabel = "KEY=VALUE", description = "Free text stored with the backup.")
    List<String> annotations = List.of();

    BackupCommand(PgwardenCli root) {
        this.root = root;
    }

    @Override
    public Integer call() {
        PgwardenConfig config = root.loadConfig().config();
        LoggingSetup.apply(config.logging());
        BackupType backupType = backupType();
        Map<String, String> notes = checkedNotes(config);
        Optional<DaemonRequest> handOver = daemonRequest(notes);
        if (handOver.isPresent()) {
            // A warm JVM backs up with about half the CPU of a fresh one, and the daemon's lock orders
            // the run with its schedule.
            Optional<Integer> inDaemon = DaemonHandOver.BACKUP.run(config.admin(), handOver.get(),
                    root.context().out(), root.context().err());
            if (inDaemon.isPresent()) {
                return inDaemon.get();
            }
        }
        try (Components components = Components.open(config, root.context().environment(), Metrics.noop())) {
            RepositoryAccess repo = RepositoryAccess.open(config, components, root.context().clock());
            Backup backup = new Backup(repo.store(), repo.objects(), repo.keyring(), components.postgres(),
                    config.postgres().dataDirectory(), config.backup(), root.context().clock(), Metrics.noop());
            BackupJob job = new BackupJob(backup, new Backup.Request(backupType, notes));
            JobOutcome outcome = new JobRunner(config.stanza(), root.context().clock(), Metrics.noop())
                    .run(job, JobTrigger.CLI);
            if (!outcome.succeeded()) {
                throw new PgwardenException(outcome.errorCode().orElse(ErrorCode.JOB_FAILED), outcome.message());
            }
            root.context().out().println("✔ " + job.result().describe());
            return ExitCode.OK;
        }
    }

    @Override
    public Optional<DaemonRequest> daemonRequest(Path workingDirectory, PgwardenConfig config) {
        backupType();
        return daemonRequest(checkedNotes(config));
    }

    private Optional<DaemonRequest> daemonRequest(Map<String, String> notes) {
        if (inProcess) {
            return Optional.empty();
        }
        ObjectNode job = JSON.createObjectNode().put("kind", DaemonJobs.BACKUP).put("type", type);
        notes.forEach((k, v) -> job.put(DaemonJobs.ANNOTATION + k, v));
        return Optional.of(new DaemonRequest(job, List.of()));
    }

    private BackupType backupType() {
        return switch (type) {
            case "full" -> BackupType.FULL;
            case "incr" -> BackupType.INCR;
            case "diff" -> BackupType.DIFF;
            default -> throw new PgwardenException(ErrorCode.USAGE, "--type '" + type + "' is not a backup type",
                    "use full, incr or diff", null);
        };
    }

    /** The annotations by key, once the stop file allows a backup. */
    private Map<String, String> checkedNotes(PgwardenConfig config) {
        // The stop file holds back every new backup, not only the daemon's: a pause is for the host.
        new StopFile(config.daemon().stopFile()).read().ifPresent(p -> {
            throw new PgwardenException(ErrorCode.PAUSED, "pgwarden is paused " + p.describe()
                    + "; no backup is started", "run 'pgwarden resume' first (stop file '"
                    + config.daemon().stopFile() + "')", null);
        });
        Map<String, String> notes = new LinkedHashMap<>();
        for (String a : annotations) {
            int eq = a.indexOf('=');
            if (eq <= 0) {
                throw new PgwardenException(ErrorCode.USAGE, "--annotation '" + a + "' is not KEY=VALUE");
            }
            notes.put(a.substring(0, eq), a.substring(eq + 1));
        }
        return notes;
    }
}
