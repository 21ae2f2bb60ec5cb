package org.pgwarden.drill;

import java.time.Instant;
import java.util.Optional;
import org.pgwarden.common.ErrorCode;
import org.pgwarden.common.PgwardenException;
import org.pgwarden.job.Job;
import org.pgwarden.job.JobContext;
import org.pgwarden.job.JobResult;

/**
 * {@link Drill} as a job, for the scheduler and the admin API. Its lock is its own ({@code drill}):
 * two drills never overlap, and a drill never holds the lock backups and expire take, so a long
 * drill cannot make a scheduled backup skip. A drill that fails is a failed run naming the failed
 * checks or the error; one that passes but breaches an objective succeeds, and says so in its
 * summary and in {@code pgwarden_drill_objective_breached}, which the alert keys on.
 */
public final class DrillJob implements Job {
    public static final String KIND = "drill";

    private final Drill drill;
    private final BackupPick set;
    private final Optional<Instant> targetTime;

    public DrillJob(Drill drill, BackupPick set, Optional<Instant> targetTime) {
        this.drill = drill;
        this.set = set;
        this.targetTime = targetTime;
    }

    @Override
    public String kind() {
        return KIND;
    }

    @Override
    public JobResult run(JobContext context) {
        DrillReport r = drill.run(set, targetTime, context);
        if (!r.passed()) {
            throw new PgwardenException(ErrorCode.DRILL_CHECK_FAILED, "drill of backup "
                    + r.backup().orElse("(none chosen)") + " failed: " + r.error().orElseGet(() -> "check(s) "
                    + String.join(", ", r.failedChecks().stream().map(c -> c.name() + " (" + c.message() + ")")
                            .toList())), "the report is in the repository under drill/; 'pgwarden drill' runs one by hand",
                    null);
        }
        String objectives = r.objectives().breached() ? "; BREACHED its" + (r.objectives().rtoBreached() ? " RTO" : "")
                + (r.objectives().rpoBreached() ? " RPO" : "") + " objective" : "";
        return new JobResult(r.bytesRestored(), "drill of backup " + r.backup().orElse("?") + " passed "
                + r.checks().size() + " check(s), RTO " + DrillReport.seconds(r.timings().total()) + "s, recovery point"
                + " lag " + r.recoveryPointLag().map(l -> DrillReport.seconds(l) + "s").orElse("unknown") + objectives);
    }
}
