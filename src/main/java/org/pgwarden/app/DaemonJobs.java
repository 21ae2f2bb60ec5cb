package org.pgwarden.app;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.UnaryOperator;
import org.pgwarden.audit.AuditRetentionJob;
import org.pgwarden.backup.Backup;
import org.pgwarden.backup.BackupJob;
import org.pgwarden.common.ErrorCode;
import org.pgwarden.common.PgwardenException;
import org.pgwarden.config.PgwardenConfig;
import org.pgwarden.config.SchedulesConfig;
import org.pgwarden.drill.BackupPick;
import org.pgwarden.drill.DrillJob;
import org.pgwarden.job.Job;
import org.pgwarden.maintenance.Maintenance;
import org.pgwarden.maintenance.MaintenanceJob;
import org.pgwarden.job.JobOutcome;
import org.pgwarden.job.JobRunner;
import org.pgwarden.job.JobTrigger;
import org.pgwarden.metrics.Metrics;
import org.pgwarden.repo.BackupLabel;
import org.pgwarden.repo.BackupType;
import org.pgwarden.retention.ExpireJob;
import org.pgwarden.restore.Restore;
import org.pgwarden.restore.RestoreJob;
import org.pgwarden.restore.VerifyJob;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Which jobs the daemon can run and how to build one from a kind and its parameters, as a
 * schedule or the admin API names them ({@code {"kind":"backup","type":"full"}}), and what runs
 * after what. Kinds: {@code backup} ({@code type}: full, incr or diff; {@code annotation.KEY}: annotations), {@code verify}
 * ({@code set}: a label, {@code full}: true or false), {@code expire} (the configured retention),
 * {@code drill} ({@code set}: a label, latest or random, {@code target-time}: an ISO-8601 time or latest),
 * {@code maintenance} ({@code window}: a configured window; {@code opened-at}: its scheduled start, default now),
 * {@code audit-retention} ({@code table}: one configured {@code schema.table}; default every table),
 * {@code restore} ({@code pgdata}: an absolute directory, and the options of {@code pgwarden restore} by
 * their names: {@code set}, {@code target-time}, {@code target-lsn}, {@code target-xid},
 * {@code target-name}, {@code target}, {@code target-action}, {@code target-timeline}, {@code delta},
 * {@code tablespace-map} (OLD=NEW pairs separated by commas), {@code parallelism}, {@code wal-source}),
 * and whatever else is {@link #register registered}. Every run goes through the {@link JobRunner}, so pause, locks, metrics and the outcome
 * line apply to all of them.
 */
public final class DaemonJobs {
    private static final Logger log = LoggerFactory.getLogger(DaemonJobs.class);

    public static final String BACKUP = "backup";
    public static final String VERIFY = "verify";
    public static final String EXPIRE = "expire";
    public static final String DRILL = DrillJob.KIND;
    public static final String MAINTENANCE = MaintenanceJob.KIND;
    /** Backup parameters {@code annotation.KEY} become the backup's annotations (as {@code --annotation KEY=VALUE}). */
    static final String ANNOTATION = "annotation.";
    public static final String AUDIT_RETENTION = AuditRetentionJob.KIND;
    public static final String RESTORE = RestoreJob.KIND;

    /** Builds a job of one kind from its parameters; throws a {@code USAGE} error for bad ones. */
    @FunctionalInterface
    public interface Factory {
        Job create(Map<String, String> parameters);
    }

    private final JobRunner runner;
    private final Map<String, Factory> factories = new ConcurrentHashMap<>();
    private final List<String> kindsInOrder = new CopyOnWriteArrayList<>();
    private final CopyOnWriteArrayList<String> afterBackup = new CopyOnWriteArrayList<>();
    private volatile Runnable repositoryChanged = () -> { };
    private volatile Optional<Path> configFile = Optional.empty();

    public DaemonJobs(JobRunner runner) {
        this.runner = runner;
    }

    /** The built-in kinds: backup and verify, on the daemon's repository and PostgreSQL. */
    static DaemonJobs standard(PgwardenConfig config, Components components, RepositoryAccess repo, JobRunner runner,
            Metrics metrics, Clock clock) {
        DaemonJobs jobs = new DaemonJobs(runner);
        jobs.register(BACKUP, p -> {
            Map<String, String> annotations = new java.util.LinkedHashMap<>();
            Map<String, String> rest = new java.util.HashMap<>();
            p.forEach((k, v) -> {
                if (k.startsWith(ANNOTATION)) {
                    annotations.put(annotationKey(k.substring(ANNOTATION.length())), v);
                } else {
                    rest.put(k, v);
                }
            });
            Params.only(BACKUP, rest, "type");
            BackupType type = backupType(p.getOrDefault("type", "incr"));
            Backup backup = new Backup(repo.store(), repo.objects(), repo.keyring(), components.postgres(),
                    config.postgres().dataDirectory(), config.backup(), clock, metrics);
            return new BackupJob(backup, new Backup.Request(type, annotations));
        });
        jobs.register(VERIFY, p -> {
            Params.only(VERIFY, p, "set", "full");
            Optional<BackupLabel> set = Optional.ofNullable(p.get("set")).map(BackupLabel::parse);
            return new VerifyJob(repo.store(), repo.objects(), clock, set, Params.bool(VERIFY, p, "full"), metrics);
        });
        jobs.register(EXPIRE, p -> {
            Params.only(EXPIRE, p);
            return ExpireCommand.job(config, repo, clock, metrics);
        });
        jobs.register(DRILL, p -> {
            Params.only(DRILL, p, "set", "target-time");
            BackupPick set = BackupPick.parse(p.get("set"), "parameter 'set' of job kind '" + DRILL + "'");
            Optional<java.time.Instant> time;
            try {
                time = Optional.ofNullable(p.get("target-time")).filter(v -> !v.equals("latest"))
                        .map(java.time.Instant::parse);
            } catch (java.time.format.DateTimeParseException e) {
                throw new PgwardenException(ErrorCode.USAGE, "parameter 'target-time' of job kind '" + DRILL
                        + "' must be an ISO-8601 time (e.g. 2026-11-24T08:15:00Z) or 'latest', got '"
                        + p.get("target-time") + "'");
            }
            // The daemon's drills take WAL from what they staged; no configuration file path is needed.
            return new DrillJob(DrillWiring.drill(config, Optional.empty(), repo, clock, metrics), set, time);
        });
        // One instance for every run: it remembers which tables it exported dead tuples for.
        Maintenance maintenance = new Maintenance(config.maintenance(), components.postgres(),
                Optional.of(repo.objects()), () -> runner.running().stream().anyMatch(c -> c.kind().startsWith(BACKUP)),
                clock, metrics);
        jobs.register(MAINTENANCE, p -> {
            Params.only(MAINTENANCE, p, "window", "opened-at");
            String window = p.get("window");
            if (window == null) {
                throw new PgwardenException(ErrorCode.USAGE, "job kind '" + MAINTENANCE + "' needs the parameter"
                        + " 'window' (a name of maintenance.windows[])");
            }
            Optional<java.time.Instant> openedAt;
            try {
                openedAt = Optional.ofNullable(p.get("opened-at")).map(java.time.Instant::parse);
            } catch (java.time.format.DateTimeParseException e) {
                throw new PgwardenException(ErrorCode.USAGE, "parameter 'opened-at' of job kind '" + MAINTENANCE
                        + "' must be an ISO-8601 time, got '" + p.get("opened-at") + "'");
            }
            return new MaintenanceJob(maintenance, maintenance.window(window), openedAt);
        });
        jobs.register(AUDIT_RETENTION, p -> {
            Params.only(AUDIT_RETENTION, p, "table");
            return new AuditRetentionJob(AuditWiring.retention(config, components, repo, metrics),
                    Optional.ofNullable(p.get("table")));
        });
        jobs.register(RESTORE, p -> restore(jobs, config, repo, clock, metrics, p));
        if (config.retention().expireAfterBackup()) {
            jobs.runAfterEachBackup(EXPIRE);
        }
        return jobs;
    }

    /**
     * The configuration file the daemon was started with: the {@code restore_command} a restore
     * writes runs {@code pgwarden wal-fetch} with it. Without it, restores are refused.
     */
    public DaemonJobs configFile(Path file) {
        this.configFile = Optional.of(file.toAbsolutePath());
        return this;
    }

    private static Job restore(DaemonJobs jobs, PgwardenConfig config, RepositoryAccess repo, Clock clock,
            Metrics metrics, Map<String, String> p) {
        List<String> allowed = new ArrayList<>(RestoreOptions.NAMES);
        allowed.addAll(List.of("pgdata", "delta", "parallelism"));
        Params.only(RESTORE, p, allowed.toArray(String[]::new));
        UnaryOperator<String> name = n -> "parameter '" + n + "' of job kind '" + RESTORE + "'";
        String dir = p.get("pgdata");
        if (dir == null || !dir.startsWith("/")) {
            throw new PgwardenException(ErrorCode.USAGE, "job kind '" + RESTORE + "' needs the parameter 'pgdata', an"
                    + " absolute path of the directory to restore into" + (dir == null ? "" : "; got '" + dir + "'"));
        }
        int parallelism;
        try {
            parallelism = Integer.parseInt(p.getOrDefault("parallelism", "2"));
        } catch (NumberFormatException e) {
            parallelism = 0;
        }
        if (parallelism < 1 || parallelism > 64) {
            throw new PgwardenException(ErrorCode.USAGE, name.apply("parallelism") + " must be a number from 1 to 64,"
                    + " got '" + p.get("parallelism") + "'");
        }
        Path configPath = jobs.configFile.orElseThrow(() -> new PgwardenException(ErrorCode.USAGE,
                "this daemon was started without a configuration file, so the restore_command it would write"
                        + " cannot name one", "run 'pgwarden restore --in-process' instead", null));
        RestoreOptions o = RestoreOptions.of(p);
        RestoreOptions.Parsed r = o.parse(config.restore().walSource(), name);
        Restore.Request request = new Restore.Request(Path.of(dir), r.label(), r.target(), r.action(),
                o.timeline(), Params.bool(RESTORE, p, "delta"), r.tablespaces(),
                RestoreCommand.walFetchCommand(configPath), "postgres", parallelism, r.walSource(),
                config.restore().stagingDirectory());
        return new RestoreJob(new Restore(repo.store(), repo.objects(), clock, metrics), request);
    }

    /** Adds (or replaces) the kind {@code kind}. */
    public DaemonJobs register(String kind, Factory factory) {
        if (factories.put(kind, factory) == null) {
            kindsInOrder.add(kind);
        }
        return this;
    }

    /**
     * After every successful backup, whoever triggered it, runs a job of {@code kind} (built with
     * no parameters) with the same trigger: how "expire after each backup" is switched on.
     */
    public DaemonJobs runAfterEachBackup(String kind) {
        if (!factories.containsKey(kind)) {
            throw new PgwardenException(ErrorCode.CONFIG_INVALID, "unable to run '" + kind
                    + "' after each backup: no job of that kind exists; valid kinds: " + String.join(", ", kinds()));
        }
        afterBackup.addIfAbsent(kind);
        return this;
    }

    /** Runs {@code hook} after every backup or expire run, whatever its outcome (refreshes repository gauges). */
    public DaemonJobs onRepositoryChange(Runnable hook) {
        this.repositoryChanged = hook;
        return this;
    }

    /** The kinds that exist, in registration order. */
    public List<String> kinds() {
        return List.copyOf(kindsInOrder);
    }

    public boolean has(String kind) {
        return factories.containsKey(kind);
    }

    /** A new job of {@code kind}; a {@code USAGE} error naming the valid kinds or parameters otherwise. */
    public Job create(String kind, Map<String, String> parameters) {
        Factory f = kind == null ? null : factories.get(kind);
        if (f == null) {
            throw new PgwardenException(ErrorCode.USAGE, "unknown job kind '" + kind + "'; valid kinds: "
                    + String.join(", ", kinds()));
        }
        return f.create(parameters == null ? Map.of() : parameters);
    }

    /** The job a schedule runs. */
    Job forSchedule(SchedulesConfig.Task task) {
        return switch (task) {
            case FULL, INCR, DIFF -> create(BACKUP, Map.of("type", task.key()));
            case VERIFY -> create(VERIFY, Map.of());
            case EXPIRE -> create(EXPIRE, Map.of());
            case DRILL -> create(DRILL, Map.of());
        };
    }

    /**
     * Runs {@code job} through the runner (waiting up to {@code lockWait} for its lock), then, when
     * it was a backup and succeeded, the follow-up jobs; returns the job's own outcome.
     */
    public JobOutcome run(Job job, JobTrigger trigger, Duration lockWait) {
        return run(job, trigger, lockWait, runner.newRunId());
    }

    /** As {@link #run(Job, JobTrigger, Duration)} with a run id handed out before (the admin API's 202). */
    public JobOutcome run(Job job, JobTrigger trigger, Duration lockWait, String runId) {
        JobOutcome outcome = runner.run(job, trigger, lockWait, runId);
        if (outcome.succeeded() && job instanceof BackupJob) {
            for (String kind : afterBackup) {
                Job next;
                try {
                    next = create(kind, Map.of());
                } catch (RuntimeException e) {
                    log.error("unable to build '{}' to run after backup run {}: {}", kind, outcome.runId(),
                            e.toString());
                    continue;
                }
                log.info("running {} after backup run {}", kind, outcome.runId());
                runner.run(next, trigger, lockWait);
            }
        }
        if (job instanceof BackupJob || job instanceof ExpireJob) {
            // After the follow-ups too, so an expire that ran after this backup is already counted.
            repositoryChanged.run();
        }
        return outcome;
    }

    private static String annotationKey(String key) {
        if (key.isEmpty() || key.contains("=")) {
            throw new PgwardenException(ErrorCode.USAGE, "parameter '" + ANNOTATION + key + "' of job kind '" + BACKUP
                    + "' needs a key after '" + ANNOTATION + "' without '='");
        }
        return key;
    }

    private static BackupType backupType(String type) {
        return switch (type) {
            case "full" -> BackupType.FULL;
            case "incr" -> BackupType.INCR;
            case "diff" -> BackupType.DIFF;
            default -> throw new PgwardenException(ErrorCode.USAGE, "backup type '" + type
                    + "' is not valid; expected full, incr or diff");
        };
    }

    /** Parameter checks shared by the factories. */
    public static final class Params {
        private Params() {
        }

        /** Refuses parameters other than {@code allowed}, naming them. */
        public static void only(String kind, Map<String, String> p, String... allowed) {
            List<String> unknown = new ArrayList<>(p.keySet());
            unknown.removeAll(Set.of(allowed));
            if (!unknown.isEmpty()) {
                throw new PgwardenException(ErrorCode.USAGE, "unknown parameter(s) " + unknown + " for job kind '"
                        + kind + "'; valid: " + (allowed.length == 0 ? "none" : String.join(", ", allowed)));
            }
        }

        public static boolean bool(String kind, Map<String, String> p, String key) {
            String v = p.getOrDefault(key, "false");
            if (!v.equals("true") && !v.equals("false")) {
                throw new PgwardenException(ErrorCode.USAGE, "parameter '" + key + "' of job kind '" + kind
                        + "' must be true or false, got '" + v + "'");
            }
            return Boolean.parseBoolean(v);
        }
    }

}
