package org.pgwarden.app;

import java.net.InetSocketAddress;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicReference;
import org.pgwarden.adapter.http.AdminHttpServer;
import org.pgwarden.adapter.http.AdminHttpServer.Response;
import org.pgwarden.adapter.micrometer.MicrometerMetrics;
import org.pgwarden.adapter.quartz.QuartzJobScheduler;
import org.pgwarden.adapter.systemd.SystemdNotifier;
import org.pgwarden.app.check.DependencyChecks;
import org.pgwarden.app.check.HealthCheckJob;
import org.pgwarden.app.check.Readiness;
import org.pgwarden.config.PgwardenConfig;
import org.pgwarden.job.Job;
import org.pgwarden.job.JobRunner;
import org.pgwarden.job.JobScheduler;
import org.pgwarden.job.JobTrigger;
import org.pgwarden.metrics.MeterNames;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The long-running daemon and its lifecycle: {@code starting → running → draining → stopped}.
 * Start opens the HTTP listener first (so a failing start is visible), then the scheduler.
 * Stop is ordered and bounded: stop triggers, refuse new runs, cancel running jobs, wait at most
 * {@code daemon.shutdown-grace}, then close the scheduler, dependencies, metrics and listener.
 */
public final class Daemon implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Daemon.class);

    public enum State {
        STARTING, RUNNING, DRAINING, STOPPED;

        String label() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** A job and the cron expression it runs on. */
    public record ScheduledJob(Job job, String cron) {
    }

    private final PgwardenConfig config;
    private final Components components;
    private final MicrometerMetrics metrics;
    private final Clock clock;
    private final SystemdNotifier notifier;
    /** How often the backup gauges are re-read from the repository: one listing of backup/ each time. */
    private static final Duration CATALOG_REFRESH = Duration.ofMinutes(15);
    private static final Duration CATALOG_RETRY = Duration.ofMinutes(1);

    private final AtomicReference<State> state = new AtomicReference<>(State.STARTING);
    private final Readiness readiness;
    private final JobRunner runner;
    private final List<ScheduledJob> extraJobs = new ArrayList<>();
    private JobScheduler scheduler;
    private AdminHttpServer http;
    private HealthCheckJob healthCheck;
    private WalService wal;

    public Daemon(PgwardenConfig config, Components components, MicrometerMetrics metrics, Clock clock,
            SystemdNotifier notifier) {
        this.config = config;
        this.components = components;
        this.metrics = metrics;
        this.clock = clock;
        this.notifier = notifier;
        this.readiness = new Readiness(() -> state.get().label());
        this.runner = new JobRunner(config.stanza(), clock, metrics);
    }

    /** Adds a job to schedule at start; for jobs beyond the configured ones (tests, extensions). */
    public Daemon withScheduledJob(Job job, String cron) {
        extraJobs.add(new ScheduledJob(job, cron));
        return this;
    }

    public State state() {
        return state.get();
    }

    public JobRunner runner() {
        return runner;
    }

    public Components components() {
        return components;
    }

    public Readiness readiness() {
        return readiness;
    }

    /** The HTTP listener's bound address (the real port when port 0 was configured). */
    public InetSocketAddress httpAddress() {
        return http.address();
    }

    public void start() {
        BuildInfo build = BuildInfo.load();
        metrics.set(MeterNames.BUILD_INFO, 1, "version", build.version(), "java_version", build.javaVersion());
        metrics.set(MeterNames.DAEMON_READY, 0);
        http = AdminHttpServer.start(config.admin().listen(),
                config.metrics().enabled() ? () -> new Response(200, MicrometerMetrics.contentType(), metrics.scrape())
                        : null,
                () -> state.get() == State.STOPPED ? Response.json(503, "{\"live\":false}")
                        : Response.json(200, "{\"live\":true,\"state\":\"" + state.get().label() + "\"}"),
                () -> Response.json(readiness.ready() ? 200 : 503, readiness.toJson()));

        DependencyChecks checks = new DependencyChecks(config.postgres().dataDirectory(), config.stanza(),
                components.postgres(), components.repository(), components.key(), clock);
        healthCheck = new HealthCheckJob(checks, readiness, metrics);

        scheduler = new QuartzJobScheduler(config.stanza(), runner, 4);
        config.schedules().healthCheck().ifPresent(cron ->
                scheduler.schedule(healthCheck, cron, config.schedules().timezone()));
        BackupCatalogGauges catalogGauges = new BackupCatalogGauges(() -> {
            RepositoryAccess repo = RepositoryAccess.open(config, components, clock);
            return new org.pgwarden.repo.BackupCatalog(repo.store(), repo.objects());
        }, metrics);
        for (ScheduledJob j : extraJobs) {
            scheduler.schedule(j.job(), j.cron(), config.schedules().timezone());
        }
        scheduler.start();
        // After the listener (a failing start is visible) and before "running": wal-push calls
        // reach a daemon that answers them, or none at all and push directly.
        wal = WalService.start(config, components, metrics, clock);
        state.set(State.RUNNING);
        // The first readiness answer should not wait for the first cron fire. A scheduled check may
        // fire at this very moment and hold the lock: wait for it rather than skip.
        runner.run(healthCheck, JobTrigger.STARTUP, java.time.Duration.ofSeconds(30));
        // Off the start path: the first run reads every manifest, which takes a while on a large
        // repository. Repeated to notice backups taken by other processes, sooner after a failure.
        Thread seed = new Thread(() -> {
            JobTrigger trigger = JobTrigger.STARTUP;
            while (state.get() == State.RUNNING) {
                boolean ok = runner.run(catalogGauges, trigger).status() == org.pgwarden.job.JobStatus.SUCCEEDED;
                trigger = JobTrigger.SCHEDULE;
                try {
                    Thread.sleep(ok ? CATALOG_REFRESH.toMillis() : CATALOG_RETRY.toMillis());
                } catch (InterruptedException e) {
                    return;
                }
            }
        }, "pgwarden-catalog");
        seed.setDaemon(true);
        seed.start();
        notifier.ready("running; ready=" + readiness.ready());
        log.info("daemon running stanza={} http=http://{}:{} ready={}", config.stanza(),
                http.address().getHostString(), http.address().getPort(), readiness.ready());
    }

    /** Ordered, bounded stop; safe to call more than once and from any thread. */
    public void stop(String reason) {
        State before = state.getAndUpdate(s -> s == State.STOPPED ? s : State.DRAINING);
        if (before == State.STOPPED || before == State.DRAINING) {
            return;
        }
        Duration grace = config.daemon().shutdownGrace();
        log.info("daemon stopping ({}); grace {}s", reason, grace.toSeconds());
        notifier.stopping("draining: " + reason);
        metrics.set(MeterNames.DAEMON_READY, 0);
        if (scheduler != null) {
            scheduler.stopTriggers();
        }
        if (wal != null) {
            // First, so that wal-push calls fall back to pushing directly while jobs wind down.
            wal.stop(grace.compareTo(Duration.ofSeconds(10)) < 0 ? grace : Duration.ofSeconds(10));
        }
        runner.refuseNewRuns("daemon is stopping");
        runner.cancelAll("daemon is stopping (" + reason + ")");
        try {
            if (!runner.awaitIdle(grace)) {
                log.error("jobs still running after the {}s grace: {}; stopping anyway", grace.toSeconds(),
                        runner.running().stream().map(c -> c.kind() + "/" + c.runId()).toList());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        closeQuietly("scheduler", scheduler);
        closeQuietly("dependencies", components);
        closeQuietly("http listener", http);
        state.set(State.STOPPED);
        log.info("daemon stopped");
        closeQuietly("metrics", metrics);
    }

    @Override
    public void close() {
        stop("closed");
    }

    private static void closeQuietly(String what, AutoCloseable c) {
        if (c == null) {
            return;
        }
        try {
            c.close();
        } catch (Exception e) {
            // Stop must go on closing the rest; the failure is reported, not hidden.
            log.warn("unable to close {}: {}", what, e.toString());
        }
    }
}
