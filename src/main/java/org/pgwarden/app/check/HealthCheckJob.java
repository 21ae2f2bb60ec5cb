package org.pgwarden.app.check;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.pgwarden.job.Job;
import org.pgwarden.job.JobContext;
import org.pgwarden.job.JobResult;
import org.pgwarden.metrics.MeterNames;
import org.pgwarden.metrics.Metrics;

/**
 * Re-runs the dependency checks on a schedule and publishes them: readiness for
 * {@code /health/ready}, and {@code pgwarden_dependency_up} per dependency. A failing dependency
 * is not a failure of this job (the dependency gauge carries that signal, and alerts key on it).
 */
public final class HealthCheckJob implements Job {
    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(HealthCheckJob.class);
    public static final String KIND = "health-check";

    private final DependencyChecks checks;
    private final Readiness readiness;
    private final Metrics metrics;
    private final Runnable probes;

    public HealthCheckJob(DependencyChecks checks, Readiness readiness, Metrics metrics) {
        this(checks, readiness, metrics, () -> { });
    }

    /**
     * @param probes measurements taken after the checks when PostgreSQL answered (transaction ID
     *               ages); a failing probe is logged and never fails the health check
     */
    public HealthCheckJob(DependencyChecks checks, Readiness readiness, Metrics metrics, Runnable probes) {
        this.checks = checks;
        this.readiness = readiness;
        this.metrics = metrics;
        this.probes = probes;
    }

    @Override
    public String kind() {
        return KIND;
    }

    @Override
    public JobResult run(JobContext context) {
        List<CheckResult> results = checks.run();
        context.checkCancelled();
        readiness.update(results, context.clock().instant());
        Map<String, Boolean> up = new LinkedHashMap<>();
        for (CheckResult r : results) {
            up.merge(r.dependency(), !r.failed(), Boolean::logicalAnd);
        }
        up.forEach((dependency, ok) -> metrics.set(MeterNames.DEPENDENCY_UP, ok ? 1 : 0, "dependency", dependency));
        metrics.set(MeterNames.DAEMON_READY, readiness.ready() ? 1 : 0);
        if (up.getOrDefault("postgres", false)) {
            try {
                probes.run();
            } catch (RuntimeException e) {
                log.warn("health check run {}: a measurement failed: {}", context.runId(), e.toString());
            }
        }
        long failing = results.stream().filter(CheckResult::failed).count();
        return JobResult.of(failing == 0 ? "all " + results.size() + " checks pass"
                : failing + " of " + results.size() + " checks failing: " + String.join("; ",
                        results.stream().filter(CheckResult::failed).map(r -> r.name() + ": " + r.detail()).toList()));
    }
}
