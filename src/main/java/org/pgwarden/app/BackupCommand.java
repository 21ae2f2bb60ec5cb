package org.pgwarden.app;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintWriter;
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
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "backup", mixinStandardHelpOptions = true,
        description = {"Take a physical backup now: full, incremental (changes since the latest backup) or",
            "differential (changes since the latest full). The scheduler runs the same job.",
            "When the daemon of this configuration answers on its admin API, the backup runs there (its",
            "pipeline is warm, and it serializes the run with its schedule) and this command follows it;",
            "otherwise, or with --in-process, it runs in this process."})
final class BackupCommand implements Callable<Integer> {
    private static final Logger log = LoggerFactory.getLogger(BackupCommand.class);
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
        BackupType backupType = switch (type) {
            case "full" -> BackupType.FULL;
            case "incr" -> BackupType.INCR;
            case "diff" -> BackupType.DIFF;
            default -> throw new PgwardenException(ErrorCode.USAGE, "--type '" + type + "' is not a backup type",
                    "use full, incr or diff", null);
        };
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
        if (!inProcess) {
            Optional<Integer> inDaemon = handToDaemon(config, notes);
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

    /**
     * Runs the backup in the daemon when one answers for this configuration: a warm JVM backs up
     * with about half the CPU of a fresh one, and the daemon's lock orders it with its schedule.
     * Empty when there is no daemon to ask (no admin API configured, none answering), so the
     * backup runs here. A daemon that answers but refuses (paused, wrong token, queue full) is
     * an error, not a reason to go around it.
     */
    private Optional<Integer> handToDaemon(PgwardenConfig config, Map<String, String> notes) {
        AdminClient client;
        try {
            client = AdminClient.of(config.admin(), "add --in-process to back up in this process");
        } catch (PgwardenException e) {
            if (e.errorCode() == ErrorCode.ADMIN_TOKEN_INVALID) {
                // an admin API is configured but its token cannot be read by this user: say so, as
                // the backup then runs here, slower, instead of in the daemon
                root.context().err().println("not handing the backup to the daemon: [" + e.errorCode().id() + "] "
                        + e.getMessage() + "; backing up in this process (run as the daemon's user to hand it over)");
            } else {
                log.debug("backing up in this process: {}", e.getMessage());
            }
            return Optional.empty();
        }
        ObjectNode request = JSON.createObjectNode().put("kind", DaemonJobs.BACKUP).put("type", type);
        notes.forEach((k, v) -> request.put(DaemonJobs.ANNOTATION + k, v));
        JsonNode accepted;
        try {
            accepted = client.post("/api/v1/jobs", request.toString());
        } catch (PgwardenException e) {
            if (e.errorCode() != ErrorCode.DAEMON_UNREACHABLE) {
                throw e;
            }
            root.context().err().println("no daemon answers on " + client.base() + "; backing up in this process");
            return Optional.empty();
        }
        String id = accepted.path("id").asText();
        PrintWriter out = root.context().out();
        out.println("backup handed to the daemon at " + client.base() + " as job " + id + "; following it (Ctrl-C"
                + " stops following, not the backup: 'pgwarden jobs " + id + "'; --in-process runs it here)");
        out.flush();
        try {
            return Optional.of(TriggerCommand.follow(client, id, null, out));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new PgwardenException(ErrorCode.CANCELLED, "stopped following job " + id
                    + "; the backup goes on in the daemon", e);
        }
    }
}
