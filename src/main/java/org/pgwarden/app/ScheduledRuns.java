package org.pgwarden.app;

import java.time.Instant;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.pgwarden.adapter.quartz.QuartzCronSchedule;
import org.pgwarden.common.ErrorCode;
import org.pgwarden.common.PgwardenException;
import org.pgwarden.config.SchedulesConfig;
import org.pgwarden.config.SchedulesConfig.Schedule;
import org.pgwarden.config.SchedulesConfig.Task;
import org.pgwarden.job.CatchUp;
import org.pgwarden.job.CronSchedule;
import org.pgwarden.job.Job;
import org.pgwarden.job.JobOutcome;
import org.pgwarden.job.JobScheduler;
import org.pgwarden.job.JobTrigger;
import org.pgwarden.metrics.MeterNames;
import org.pgwarden.metrics.Metrics;
import org.pgwarden.repo.BackupCatalog;
import org.pgwarden.repo.BackupLabel;
import org.pgwarden.repo.BackupType;
import org.pgwarden.repo.ManifestReader;
import org.pgwarden.repo.SealedObjects;
import org.pgwarden.storage.ObjectStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The configured schedules at work: what each fire does (run the job with its overlap policy,
 * then refresh the next-fire gauge) and, at start, catch-up of backup fires missed while the
 * daemon was down.
 *
 * <p>Catch-up reads the repository, not local state: the stop time of the newest backup of each
 * type is the last success, because the repository is the source of truth (a backup taken by
 * hand, by another host of the fleet, or before this host's disk was replaced counts, and an
 * interrupted one does not). A schedule is satisfied by a backup at least as complete as its own
 * type: a full by a full; a diff by a diff or a full; an incr by any backup. Catch-up runs in
 * that order and re-reads the repository after each run, so one missed night of full, diff and
 * incr schedules takes one full backup, not three backups.
 */
final class ScheduledRuns {
    private static final Logger log = LoggerFactory.getLogger(ScheduledRuns.class);
    /** The order catch-up considers backups in: most complete first. */
    private static final List<Task> CATCH_UP_ORDER = List.of(Task.FULL, Task.DIFF, Task.INCR);

    private final SchedulesConfig config;
    private final DaemonJobs jobs;
    private final JobScheduler scheduler;
    private final Metrics metrics;
    private final ObjectStore store;
    private final SealedObjects objects;
    private final java.util.Set<String> scheduledKinds = new java.util.concurrent.CopyOnWriteArraySet<>();
    private volatile boolean stopping;

    ScheduledRuns(SchedulesConfig config, DaemonJobs jobs, JobScheduler scheduler, Metrics metrics,
            ObjectStore store, SealedObjects objects) {
        this.config = config;
        this.jobs = jobs;
        this.scheduler = scheduler;
        this.metrics = metrics;
        this.store = store;
        this.objects = objects;
    }

    /** Registers every configured job; a schedule for a kind this daemon cannot build fails the start. */
    void scheduleConfigured() {
        for (Schedule s : config.jobs().values()) {
            Job probe;
            try {
                probe = jobs.forSchedule(s.task());
            } catch (PgwardenException e) {
                throw new PgwardenException(ErrorCode.CONFIG_INVALID, "schedules." + s.task().key()
                        + " is set but its job cannot be built: " + e.getMessage(), e);
            }
            schedule(probe.kind(), s.cron(), () -> jobs.run(jobs.forSchedule(s.task()), JobTrigger.SCHEDULE,
                    s.lockWait()));
        }
    }

    /** Registers {@code fire} under {@code kind}; each fire refreshes the kind's next-fire gauge. */
    void schedule(String kind, String cron, Runnable fire) {
        scheduledKinds.add(kind);
        scheduler.schedule(kind, cron, config.timezone(), () -> {
            try {
                fire.run();
            } finally {
                refreshNextFire(kind);
            }
        });
    }

    /**
     * Sets {@code pgwarden_backup_max_age_seconds}: for {@code type="any"} from every backup
     * schedule, for {@code type="full"} from the full schedule. The backup-age alerts compare with
     * it, and use their own defaults for a type no schedule produces.
     */
    void publishBackupAgeLimits(Instant now) {
        List<CronSchedule> all = new java.util.ArrayList<>();
        for (Task t : CATCH_UP_ORDER) {
            config.job(t).ifPresent(s -> all.add(QuartzCronSchedule.of(s.cron(), config.timezone())));
        }
        BackupAgeLimits.limit(all, now).ifPresent(d ->
                metrics.set(MeterNames.BACKUP_MAX_AGE, d.toSeconds(), "type", "any"));
        config.job(Task.FULL).flatMap(s -> BackupAgeLimits.limit(
                List.of(QuartzCronSchedule.of(s.cron(), config.timezone())), now)).ifPresent(d ->
                metrics.set(MeterNames.BACKUP_MAX_AGE, d.toSeconds(), "type", "full"));
    }

    /** Sets {@code pgwarden_job_next_fire_timestamp_seconds} for every scheduled kind. */
    void refreshNextFires() {
        scheduledKinds.forEach(this::refreshNextFire);
    }

    private void refreshNextFire(String kind) {
        scheduler.nextFireTime(kind).ifPresent(t ->
                metrics.set(MeterNames.JOB_NEXT_FIRE, t.toEpochMilli() / 1000.0, "kind", kind));
    }

    /** Ends catch-up between runs; the runner cancels the one in progress. */
    void stop() {
        stopping = true;
    }

    /**
     * Runs each backup schedule that fired while the daemon was down once. {@code scheduledAt} is
     * when the schedules were registered: Quartz runs fires from that second on itself, so only
     * earlier ones are caught up. Also exports the repository's newest backup per type as
     * {@code pgwarden_backup_last_success_timestamp_seconds}, so that gauge survives restarts.
     */
    void catchUp(Instant scheduledAt) {
        Map<BackupType, Instant> newest;
        try {
            newest = newestStops();
        } catch (RuntimeException e) {
            PgwardenException p = PgwardenException.of(e);
            log.warn("catch-up skipped: unable to read the backups in the repository: [{}] {}; missed fires run"
                    + " at their next fire", p.errorCode().id(), p.getMessage());
            return;
        }
        newest.forEach((type, stop) -> metrics.set(MeterNames.BACKUP_LAST_SUCCESS, stop.toEpochMilli() / 1000.0,
                "type", type.name().toLowerCase(Locale.ROOT)));
        if (config.catchUp() == SchedulesConfig.CatchUpPolicy.NONE) {
            if (CATCH_UP_ORDER.stream().anyMatch(t -> config.job(t).isPresent())) {
                log.info("catch-up: none (schedules.catch-up); backup fires missed while the daemon was down are"
                        + " not run");
            }
            return;
        }
        Instant notAfter = scheduledAt.minusSeconds(1);
        for (Task task : CATCH_UP_ORDER) {
            Optional<Schedule> s = config.job(task);
            if (s.isEmpty() || stopping) {
                continue;
            }
            Optional<Instant> last = lastSuccess(task, newest);
            CatchUp.Decision d = CatchUp.decide(QuartzCronSchedule.of(s.get().cron(), config.timezone()), last,
                    notAfter);
            String what = "schedules." + task.key() + " ('" + s.get().cron() + "')";
            if (!d.run()) {
                log.info("catch-up: {}: {}; nothing to run", what, d.reason());
                continue;
            }
            log.warn("catch-up: {}: {}; running it once now", what, d.reason());
            JobOutcome o = jobs.run(jobs.forSchedule(task), JobTrigger.SCHEDULE, s.get().lockWait());
            if (o.succeeded()) {
                try {
                    newest = newestStops();
                } catch (RuntimeException e) {
                    log.warn("catch-up stopped: unable to read the backups in the repository again: {}", e.toString());
                    return;
                }
            }
        }
    }

    /** The newest of the backups that satisfy {@code task}'s schedule. */
    static Optional<Instant> lastSuccess(Task task, Map<BackupType, Instant> newest) {
        List<BackupType> satisfying = switch (task) {
            case FULL -> List.of(BackupType.FULL);
            case DIFF -> List.of(BackupType.FULL, BackupType.DIFF);
            case INCR -> List.of(BackupType.FULL, BackupType.DIFF, BackupType.INCR);
            default -> List.of();
        };
        return satisfying.stream().map(newest::get).filter(java.util.Objects::nonNull).max(Instant::compareTo);
    }

    /** Stop time of the newest committed backup of each type: one listing and at most three manifest headers. */
    private Map<BackupType, Instant> newestStops() {
        Map<BackupType, Instant> out = new EnumMap<>(BackupType.class);
        List<BackupLabel> labels = new BackupCatalog(store, objects).labels();
        for (int i = labels.size() - 1; i >= 0 && out.size() < BackupType.values().length; i--) {
            BackupLabel l = labels.get(i);
            if (!out.containsKey(l.type())) {
                try (ManifestReader r = ManifestReader.open(objects, l)) {
                    out.put(l.type(), r.header().stopTime());
                }
            }
        }
        return out;
    }
}
