package org.pgwarden.restore;

import java.time.Clock;
import java.util.List;
import java.util.Optional;
import org.pgwarden.common.ErrorCode;
import org.pgwarden.common.PgwardenException;
import org.pgwarden.job.Job;
import org.pgwarden.job.JobContext;
import org.pgwarden.job.JobResult;
import org.pgwarden.metrics.Metrics;
import org.pgwarden.repo.BackupLabel;
import org.pgwarden.repo.SealedObjects;
import org.pgwarden.repo.StanzaStore;
import org.pgwarden.storage.ObjectStore;

/**
 * {@link Verify} as a job, for the scheduler and the admin API: it fails when any backup has a
 * problem, naming the first few, so a damaged repository is a failed run, a metric and an alert.
 */
public final class VerifyJob implements Job {
    public static final String KIND = "verify";
    /** Problems named in the outcome message; the rest are counted. */
    private static final int NAMED_PROBLEMS = 5;

    private final ObjectStore store;
    private final SealedObjects objects;
    private final Clock clock;
    private final Optional<BackupLabel> only;
    private final boolean full;

    private final Metrics metrics;

    public VerifyJob(ObjectStore store, SealedObjects objects, Clock clock, Optional<BackupLabel> only, boolean full) {
        this(store, objects, clock, only, full, Metrics.noop());
    }

    /** @param metrics receives {@code pgwarden_verify_failed_backups}, what the verify alert keys on */
    public VerifyJob(ObjectStore store, SealedObjects objects, Clock clock, Optional<BackupLabel> only, boolean full,
            Metrics metrics) {
        this.store = store;
        this.objects = objects;
        this.clock = clock;
        this.only = only;
        this.full = full;
        this.metrics = metrics;
    }

    @Override
    public String kind() {
        return KIND;
    }

    @Override
    public JobResult run(JobContext context) {
        int segmentSize = new StanzaStore(store, objects).load().walSegmentSize();
        List<Verify.Outcome> outcomes = new Verify(store, objects, segmentSize, clock, metrics).run(only, full, context);
        List<String> problems = outcomes.stream().filter(o -> !o.ok())
                .flatMap(o -> o.problems().stream().map(p -> o.label() + ": " + p)).toList();
        if (!problems.isEmpty()) {
            long bad = outcomes.stream().filter(o -> !o.ok()).count();
            throw new PgwardenException(ErrorCode.JOB_FAILED, bad + " of " + outcomes.size()
                    + " backup(s) failed verification: " + String.join("; ", problems.subList(0,
                            Math.min(NAMED_PROBLEMS, problems.size())))
                    + (problems.size() > NAMED_PROBLEMS ? "; and " + (problems.size() - NAMED_PROBLEMS) + " more" : ""),
                    "run 'pgwarden verify' for every problem", null);
        }
        long bytes = outcomes.stream().filter(o -> !o.reused()).mapToLong(Verify.Outcome::bytes).sum();
        long reused = outcomes.stream().filter(Verify.Outcome::reused).count();
        return new JobResult(bytes, "verified " + outcomes.size() + " backup(s), " + reused
                + " unchanged since their last verification");
    }
}
