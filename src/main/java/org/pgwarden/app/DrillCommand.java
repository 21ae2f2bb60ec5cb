package org.pgwarden.app;

import java.nio.file.Path;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Optional;
import java.util.concurrent.Callable;
import org.pgwarden.common.ErrorCode;
import org.pgwarden.common.ExitCode;
import org.pgwarden.common.PgwardenException;
import org.pgwarden.config.ConfigLoader;
import org.pgwarden.config.PgwardenConfig;
import org.pgwarden.drill.DrillReport;
import org.pgwarden.job.JobContext;
import org.pgwarden.job.JobRunner;
import org.pgwarden.metrics.Metrics;
import org.pgwarden.drill.BackupPick;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "drill", mixinStandardHelpOptions = true,
        description = {"Prove a backup restores: restore it into a scratch cluster from the repository alone, recover",
            "to the target, run amcheck and the configured checks, measure RTO and recovery point, then stop",
            "and delete the scratch cluster. The report is stored in the repository under drill/.",
            "Exit 0: passed; 1: failed (PGW101 a check, or the error that stopped it) or passed but breached",
            "an objective (PGW102)."})
final class DrillCommand implements Callable<Integer> {
    private final PgwardenCli root;

    @Option(names = "--set", paramLabel = "LABEL|latest|random",
            description = "The backup: a label, latest (default: the newest that ends before the target) or random"
                    + " (any committed backup that ends before the target).")
    String set;

    @Option(names = "--target-time", paramLabel = "TIME|latest",
            description = "Recover to this time (ISO-8601, e.g. 2026-11-24T08:15:00Z); latest (default): all archived WAL.")
    String targetTime;

    DrillCommand(PgwardenCli root) {
        this.root = root;
    }

    @Override
    public Integer call() throws Exception {
        ConfigLoader.Loaded loaded = root.loadConfig();
        PgwardenConfig config = loaded.config();
        LoggingSetup.apply(config.logging());
        BackupPick pick = BackupPick.parse(set, "--set");
        Optional<Instant> time = time();
        var out = root.context().out();
        var err = root.context().err();
        try (Components components = Components.open(config, root.context().environment(), Metrics.noop())) {
            RepositoryAccess repo = RepositoryAccess.open(config, components, root.context().clock());
            JobContext context = JobContext.standalone(JobRunner.newRunIdAt(root.context().clock().instant()), "drill",
                    root.context().clock());
            DrillReport report = DrillWiring.drill(config, Optional.of(Path.of(loaded.source())), repo, root.context().clock(),
                    Metrics.noop()).run(pick, time, context);
            report.lines().forEach(out::println);
            out.flush();
            return exitCode(report, err);
        }
    }

    /** The exit code of a drill, with an error line when it is not 0. */
    static int exitCode(DrillReport report, java.io.PrintWriter err) {
        if (!report.passed()) {
            String why = report.error().orElseGet(() -> "[" + ErrorCode.DRILL_CHECK_FAILED.id() + "] check(s) failed: "
                    + String.join(", ", report.failedChecks().stream().map(DrillReport.Check::name).toList()));
            err.println("error: drill failed: " + why);
            return ErrorCode.DRILL_CHECK_FAILED.exitCode();
        }
        if (report.objectives().breached()) {
            err.println("error: [" + ErrorCode.DRILL_OBJECTIVE_BREACHED.id() + "] the drill passed but breached its"
                    + (report.objectives().rtoBreached() ? " RTO objective" : "")
                    + (report.objectives().rtoBreached() && report.objectives().rpoBreached() ? " and" : "")
                    + (report.objectives().rpoBreached() ? " RPO objective" : ""));
            return ErrorCode.DRILL_OBJECTIVE_BREACHED.exitCode();
        }
        return ExitCode.OK;
    }

    private Optional<Instant> time() {
        if (targetTime == null || targetTime.equals("latest")) {
            return Optional.empty();
        }
        try {
            return Optional.of(Instant.parse(targetTime));
        } catch (DateTimeParseException e) {
            throw new PgwardenException(ErrorCode.USAGE, "--target-time '" + targetTime + "' is not an ISO-8601 time"
                    + " (e.g. 2026-11-24T08:15:00Z) or 'latest'");
        }
    }
}
