package org.pgwarden.app;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintWriter;
import java.util.Optional;
import java.util.concurrent.Callable;
import org.pgwarden.common.ErrorCode;
import org.pgwarden.common.ExitCode;
import org.pgwarden.config.PgwardenConfig;
import java.time.Duration;
import org.pgwarden.common.PgwardenException;
import org.pgwarden.job.JobOutcome;
import org.pgwarden.job.JobRunner;
import org.pgwarden.job.JobTrigger;
import org.pgwarden.maintenance.Maintenance;
import org.pgwarden.maintenance.MaintenanceJob;
import org.pgwarden.maintenance.Plan;
import org.pgwarden.metrics.Metrics;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "maintain", mixinStandardHelpOptions = true,
        description = {"Run a maintenance window now, for its configured duration: VACUUM, ANALYZE and REINDEX",
            "CONCURRENTLY ranked by need, each statement with the window's lock timeout and ending by the window's",
            "end. The report is stored in the repository under maintenance/<window>/.",
            "--dry-run prints the ranked plan (and the invalid and unused indexes found) and changes nothing.",
            "Exit 0: completed or work deferred to the next window; 1: a statement failed (PGW111)."})
final class MaintainCommand implements Callable<Integer> {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    /** How long an interrupted run may take to cancel its statement and store its report. */
    static final Duration CANCEL_GRACE = Duration.ofSeconds(10);
    private final PgwardenCli root;

    @Option(names = "--window", required = true, paramLabel = "NAME", description = "A window of maintenance.windows[].")
    String window;

    @Option(names = "--dry-run", description = "Print the plan; run nothing.")
    boolean dryRun;

    @Mixin
    OutputFormat format = new OutputFormat();

    MaintainCommand(PgwardenCli root) {
        this.root = root;
    }

    @Override
    public Integer call() throws Exception {
        boolean json = format.json();
        PgwardenConfig config = root.loadConfig().config();
        LoggingSetup.apply(config.logging());
        PrintWriter out = root.context().out();
        try (Components components = Components.open(config, root.context().environment(), Metrics.noop())) {
            if (dryRun) {
                Maintenance m = new Maintenance(config.maintenance(), components.postgres(), Optional.empty(),
                        () -> false, root.context().clock(), Metrics.noop());
                Plan plan = m.plan(m.window(window));
                if (json) {
                    ObjectNode n = JSON.createObjectNode();
                    plan.toJson(n);
                    out.println(JSON.writeValueAsString(n));
                } else {
                    plan.lines().forEach(out::println);
                }
                return ExitCode.OK;
            }
            RepositoryAccess repo = RepositoryAccess.open(config, components, root.context().clock());
            // A run by hand sees backups of other tools through pg_stat_progress_basebackup only.
            Maintenance m = new Maintenance(config.maintenance(), components.postgres(), Optional.of(repo.objects()),
                    () -> false, root.context().clock(), Metrics.noop());
            MaintenanceJob job = new MaintenanceJob(m, m.window(window), Optional.empty());
            JobRunner runner = new JobRunner(config.stanza(), root.context().clock(), Metrics.noop());
            // Ctrl-C or SIGTERM: cancel the running statement and store the report before exiting.
            Thread cancel = new Thread(() -> {
                runner.cancelAll("interrupted");
                try {
                    runner.awaitIdle(CANCEL_GRACE);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }, "pgwarden-maintain-cancel");
            Runtime.getRuntime().addShutdownHook(cancel);
            JobOutcome outcome;
            try {
                outcome = runner.run(job, JobTrigger.CLI);
            } finally {
                try {
                    Runtime.getRuntime().removeShutdownHook(cancel);
                } catch (IllegalStateException shuttingDown) {
                    // the hook runs now
                }
            }
            job.report().ifPresent(report -> {
                if (json) {
                    out.println(new String(report.toJson(), java.nio.charset.StandardCharsets.UTF_8));
                } else {
                    report.lines().forEach(out::println);
                }
            });
            out.flush();
            if (!outcome.succeeded()) {
                throw new PgwardenException(outcome.errorCode().orElse(ErrorCode.JOB_FAILED), outcome.message());
            }
            return ExitCode.OK;
        }
    }
}
