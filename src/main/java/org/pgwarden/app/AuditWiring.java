package org.pgwarden.app;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.pgwarden.audit.AuditRetention;
import org.pgwarden.audit.AuditRetentionJob;
import org.pgwarden.config.AuditRetentionConfig;
import org.pgwarden.job.JobTrigger;
import org.pgwarden.config.PgwardenConfig;
import org.pgwarden.metrics.Metrics;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Builds audit retention from the configuration, the repository and PostgreSQL. */
final class AuditWiring {
    private static final Logger log = LoggerFactory.getLogger(AuditWiring.class);

    /**
     * Test-only JVM system property, never set by the configuration, the launcher or the unit file:
     * {@code <point>:<file>} makes a run that reaches {@code point} ({@code archived}: an archive is
     * stored and verified, its rows not yet deleted or its partition not yet detached;
     * {@code detached}: a partition is detached, not yet dropped) create {@code file} and wait there,
     * so a crash test can kill the process at exactly that point.
     */
    static final String HALT_AT = "pgwarden.test.audit-halt";

    private AuditWiring() {
    }

    static AuditRetention retention(PgwardenConfig config, Components components, RepositoryAccess repo,
            Metrics metrics) {
        return new AuditRetention(config.auditRetention(), components.postgres(), repo.store(), repo.objects(), metrics,
                checkpoint());
    }

    /** Tables with a {@code schedule}. */
    static int scheduledTables(PgwardenConfig config) {
        return (int) config.auditRetention().tables().stream().filter(t -> t.schedule().isPresent()).count();
    }

    /**
     * Schedules each table that has a {@code schedule} under its own key
     * ({@code audit-retention:<schema.table>}, also the {@code kind} of its next-fire gauge) and
     * exports every table's keep period. A due run whose table is still being worked on is
     * skipped (a metric and a log line), never queued behind it.
     */
    static void schedule(PgwardenConfig config, DaemonJobs jobs, ScheduledRuns runs, Components components,
            RepositoryAccess repo, Metrics metrics) {
        for (AuditRetentionConfig.Table t : config.auditRetention().tables()) {
            t.schedule().ifPresent(cron -> runs.schedule(AuditRetentionJob.KIND + ":" + t.table(), cron,
                    () -> jobs.run(jobs.create(AuditRetentionJob.KIND, Map.of("table", t.table())),
                            JobTrigger.SCHEDULE, Duration.ZERO)));
        }
        retention(config, components, repo, metrics).publishKeepPeriods();
    }

    private static AuditRetention.Checkpoint checkpoint() {
        String spec = System.getProperty(HALT_AT);
        if (spec == null || spec.indexOf(':') < 1) {
            return AuditRetention.Checkpoint.NONE;
        }
        String at = spec.substring(0, spec.indexOf(':'));
        Path marker = Path.of(spec.substring(spec.indexOf(':') + 1));
        return (table, point) -> {
            if (!point.equals(at)) {
                return;
            }
            log.warn("halting at '{}' of {} for a crash test ({})", point, table, HALT_AT);
            try {
                Files.writeString(marker, table + " " + point + "\n");
                Thread.sleep(Long.MAX_VALUE);
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        };
    }
}
