package org.pgwarden.maintenance;

import java.time.Instant;
import java.util.Optional;
import org.pgwarden.common.ErrorCode;
import org.pgwarden.common.PgwardenException;
import org.pgwarden.config.MaintenanceConfig;
import org.pgwarden.job.JobContext;
import org.pgwarden.job.JobResult;
import org.pgwarden.job.Job;

/**
 * A maintenance window as a job, for the scheduler and the admin API. Its lock is its own
 * ({@code maintenance}): windows never overlap each other, and never take the lock backups and
 * expire take, so a long window cannot make a scheduled backup wait or skip (the backup guard
 * pauses the window instead, when configured). Deferred work is a success with a summary saying
 * so (the deferred-work alert keys on the metrics); a failed statement fails the run.
 */
public final class MaintenanceJob implements Job {
    public static final String KIND = "maintenance";

    private final Maintenance maintenance;
    private final MaintenanceConfig.Window window;
    private final Optional<Instant> openedAt;
    private volatile WindowReport report;

    /** @param openedAt the window's scheduled start; empty: it opens when the job starts (a triggered run) */
    public MaintenanceJob(Maintenance maintenance, MaintenanceConfig.Window window, Optional<Instant> openedAt) {
        this.maintenance = maintenance;
        this.window = window;
        this.openedAt = openedAt;
    }

    public MaintenanceConfig.Window window() {
        return window;
    }

    /** The report of the last run, once it ran (also when it failed or was cancelled). */
    public Optional<WindowReport> report() {
        return Optional.ofNullable(report);
    }

    @Override
    public String kind() {
        return KIND;
    }

    @Override
    public JobResult run(JobContext context) {
        WindowReport r = openedAt.isPresent() ? maintenance.run(window, openedAt.get(), context)
                : maintenance.run(window, context);
        report = r;
        context.checkCancelled();
        if (r.outcome().equals("failed")) {
            throw new PgwardenException(ErrorCode.MAINTENANCE_ITEM_FAILED, r.summary() + "; failed: " + String.join(
                    ", ", r.results().stream().filter(i -> i.result() == WindowReport.Result.FAILED)
                            .map(i -> i.item().describeAction() + " " + i.item().database() + " " + i.item().target()
                                    + " (" + i.detail() + ")").toList()),
                    "the report is in the repository under maintenance/" + window.name() + "/ and 'pgwarden info'"
                            + " shows it", null);
        }
        return new JobResult(r.reclaimed(), r.summary());
    }
}
