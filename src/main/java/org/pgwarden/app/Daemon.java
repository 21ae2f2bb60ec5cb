package org.pgwarden.app;

import java.net.InetSocketAddress;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
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
import org.pgwarden.maintenance.Maintenance;
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

    /** A job, the cron expression it runs on and how long a due run waits for its lock. */
    public record ScheduledJob(Job job, String cron, Duration lockWait) {
    }

    private final PgwardenConfig config;
    private final Components components;
    private final MicrometerMetrics metrics;
    private final Clock clock;
    private final SystemdNotifier notifier;
    private final AtomicReference<State> state = new AtomicReference<>(State.STARTING);
    private final Readiness readiness;
    private final JobRunner runner;
    private final DaemonPause pause;
    private final DaemonJobs jobs;
    private final RepositoryAccess repository;
    private final List<ScheduledJob> extraJobs = new ArrayList<>();
    private final Map<String, String> environment;
    private final List<AutoCloseable> apiResources = new ArrayList<>();
    private JobScheduler scheduler;
    private ScheduledRuns scheduledRuns;
    private Thread catchUp;
    private AdminHttpServer http;
    private HealthCheckJob healthCheck;
    private WalService wal;

    public Daemon(PgwardenConfig config, Components components, MicrometerMetrics metrics, Clock clock,
            SystemdNotifier notifier) {
        this(config, components, metrics, clock, notifier, System.getenv());
    }

    /** @param environment where {@code env:} secret references (the control database's password) are read */
    public Daemon(PgwardenConfig config, Components components, MicrometerMetrics metrics, Clock clock,
            SystemdNotifier notifier, Map<String, String> environment) {
        this.environment = environment;
        this.config = config;
        this.components = components;
        this.metrics = metrics;
        this.clock = clock;
        this.notifier = notifier;
        this.pause = new DaemonPause(new StopFile(config.daemon().stopFile()), metrics);
        this.readiness = new Readiness(() -> state.get().label(), () -> pause.check()
                .map(p -> new Readiness.Paused(p.reason(), p.since(), p.by())));
        this.runner = new JobRunner(config.stanza(), clock, metrics);
        // Every run asks the stop file first, whoever triggered it (schedule, catch-up, admin API).
        this.runner.setGate(pause);
        // Opening reads nothing yet: the daemon starts while the repository is down.
        this.repository = RepositoryAccess.open(config, components, clock);
        this.jobs = DaemonJobs.standard(config, components, repository, runner, metrics, clock);
    }

    /** Adds a job to schedule at start; for jobs beyond the configured ones (tests, extensions). */
    public Daemon withScheduledJob(Job job, String cron) {
        return withScheduledJob(job, cron, Duration.ZERO);
    }

    /** As {@link #withScheduledJob(Job, String)}; a due run waits up to {@code lockWait} for its lock. */
    public Daemon withScheduledJob(Job job, String cron, Duration lockWait) {
        extraJobs.add(new ScheduledJob(job, cron, lockWait));
        return this;
    }

    public State state() {
        return state.get();
    }

    public JobRunner runner() {
        return runner;
    }

    /** The kinds of job this daemon runs; register more (expire) before {@link #start()}. */
    public DaemonJobs jobs() {
        return jobs;
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
        pause.check();
        // The token file is checked before anything listens: a bad one stops the start here.
        Optional<AdminHttpServer.Api> api = AdminApi.open(config, components, runner, jobs, metrics, clock, apiResources);
        ControlDatabase.attach(config, runner.history(), environment, apiResources);
        http = AdminHttpServer.start(config.admin().listen(),
                config.metrics().enabled() ? () -> {
                    pause.check();
                    return new Response(200, MicrometerMetrics.contentType(), metrics.scrape());
                } : null,
                () -> state.get() == State.STOPPED ? Response.json(503, "{\"live\":false}")
                        : Response.json(200, "{\"live\":true,\"state\":\"" + state.get().label()
                                + "\",\"paused\":" + pause.check().isPresent() + "}"),
                () -> Response.json(readiness.ready() ? 200 : 503, readiness.toJson()), api);

        DependencyChecks checks = new DependencyChecks(config.postgres().dataDirectory(), config.stanza(),
                components.postgres(), components.repository(), components.key(), clock);
        healthCheck = new HealthCheckJob(checks, readiness, metrics,
                () -> Maintenance.publishOldestXidAges(components.postgres(), metrics));

        // Two threads per scheduled kind and spares: a run waiting for a lock (on-overlap: wait)
        // holds its thread, and must not delay the health check or another kind's fire.
        int threads = Math.min(32, 4 + 2 * (config.schedules().jobs().size() + extraJobs.size()
                + config.maintenance().windows().size()
                + AuditWiring.scheduledTables(config)));
        scheduler = new QuartzJobScheduler(config.stanza(), runner, threads);
        scheduledRuns = new ScheduledRuns(config.schedules(), jobs, scheduler, metrics, repository.store(),
                repository.objects());
        config.schedules().healthCheck().ifPresent(cron ->
                scheduledRuns.schedule(healthCheck.kind(), cron, () -> runner.run(healthCheck, JobTrigger.SCHEDULE)));
        for (ScheduledJob j : extraJobs) {
            scheduledRuns.schedule(j.job().kind(), j.cron(), () -> jobs.run(j.job(), JobTrigger.SCHEDULE, j.lockWait()));
        }
        MaintenanceSchedules.register(config, jobs, scheduledRuns, clock);
        Instant scheduledAt = clock.instant();
        scheduledRuns.scheduleConfigured();
        AuditWiring.schedule(config, jobs, scheduledRuns, components, repository, metrics);
        scheduler.start();
        scheduledRuns.refreshNextFires();
        scheduledRuns.publishBackupAgeLimits(clock.instant());
        // After the listener (a failing start is visible) and before "running": wal-push calls
        // reach a daemon that answers them, or none at all and push directly.
        wal = WalService.start(config, components, metrics, clock);
        state.set(State.RUNNING);
        // The first readiness answer should not wait for the first cron fire. A scheduled check may
        // fire at this very moment and hold the lock: wait for it rather than skip.
        runner.run(healthCheck, JobTrigger.STARTUP, java.time.Duration.ofSeconds(30));
        notifier.ready("running; ready=" + readiness.ready());
        log.info("daemon running stanza={} http=http://{}:{} ready={}", config.stanza(),
                http.address().getHostString(), http.address().getPort(), readiness.ready());
        // In the background: reading the repository must not delay readiness, and a repository
        // that is down at start only means missed fires wait for their next fire.
        RepositoryGauges gauges = new RepositoryGauges(repository, metrics);
        jobs.onRepositoryChange(gauges::refresh);
        catchUp = new Thread(() -> {
            // Off the start path: listing a large repository must not delay readiness.
            DrillWiring.removeAbandonedScratchClusters(config.drill().scratchDirectory());
            gauges.refresh();
            scheduledRuns.catchUp(scheduledAt);
        }, "pgwarden-catch-up");
        catchUp.setDaemon(true);
        catchUp.start();
    }

    /** Waits for the start's catch-up of missed backup fires to finish; true when it did. */
    public boolean awaitCatchUp(Duration timeout) throws InterruptedException {
        Thread t = catchUp;
        if (t == null) {
            return true;
        }
        t.join(Math.max(1, timeout.toMillis()));
        return !t.isAlive();
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
        if (scheduledRuns != null) {
            scheduledRuns.stop();
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
        // Triggered runs are over (refused, cancelled or done); flush their history, then close.
        apiResources.forEach(r -> closeQuietly("admin API", r));
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
