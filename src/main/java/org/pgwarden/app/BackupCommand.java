package org.pgwarden.app;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
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
            "differential (changes since the latest full). The scheduler runs the same job."})
final class BackupCommand implements Callable<Integer> {
    private final PgwardenCli root;

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
            Backup.Result r = job.result();
            root.context().out().println("✔ backup " + r.label() + " (" + r.type().name().toLowerCase()
                    + r.parent().map(p -> ", parent " + p).orElse("") + "): " + r.files() + " files, "
                    + Backup.human(r.bytesRead()) + " read, " + Backup.human(r.bytesStored()) + " stored, "
                    + Backup.human(r.bytesReused()) + " reused, " + r.duration().toSeconds() + "s"
                    + (r.invalidPages() > 0 ? ", " + r.invalidPages() + " page(s) with invalid checksums" : ""));
            return ExitCode.OK;
        }
    }
}
