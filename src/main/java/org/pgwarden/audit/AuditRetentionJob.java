package org.pgwarden.audit;

import java.util.List;
import java.util.Optional;
import org.pgwarden.job.Job;
import org.pgwarden.job.JobContext;
import org.pgwarden.job.JobResult;

/**
 * Audit retention as a job, for the scheduler, the admin API and the CLI. A run for one table holds
 * the lock {@code audit-retention:<schema.table>}, so schedules of different tables run side by
 * side and never two runs of the same table; a run over every table holds {@code audit-retention}.
 * Never the backup lock.
 */
public final class AuditRetentionJob implements Job {
    public static final String KIND = "audit-retention";

    private final AuditRetention retention;
    private final Optional<String> table;
    private volatile List<AuditRetention.TableResult> results = List.of();

    public AuditRetentionJob(AuditRetention retention, Optional<String> table) {
        this.retention = retention;
        // Refuses an unknown table now, when the job is built, not when it runs.
        table.ifPresent(retention::table);
        this.table = table;
    }

    /** What the last run did per table (empty before a run, or when it failed). */
    public List<AuditRetention.TableResult> results() {
        return results;
    }

    @Override
    public String kind() {
        return KIND;
    }

    @Override
    public String lockName() {
        return table.map(t -> KIND + ":" + t).orElse(KIND);
    }

    @Override
    public JobResult run(JobContext context) {
        List<AuditRetention.TableResult> results = retention.run(table, context);
        this.results = List.copyOf(results);
        long bytes = results.stream().mapToLong(AuditRetention.TableResult::archiveBytes).sum();
        return new JobResult(bytes, results.isEmpty() ? "no audit-retention tables configured"
                : String.join("; ", results.stream().map(AuditRetention.TableResult::summary).toList()));
    }
}
