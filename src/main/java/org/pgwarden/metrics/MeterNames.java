package org.pgwarden.metrics;

/**
 * Every meter pgwarden exports, named as Prometheus shows it. Alert rules, dashboards and the
 * README's metrics list use exactly these names; renaming one is a breaking change. Every series
 * also carries the {@code stanza} tag.
 */
public final class MeterNames {
    /** Gauge, always 1; tags {@code version}, {@code java_version}. Absent = daemon down. */
    public static final String BUILD_INFO = "pgwarden_build_info";
    /** Gauge 1/0: the daemon has finished starting and its readiness checks last passed. */
    public static final String DAEMON_READY = "pgwarden_daemon_ready";

    /** Counter; tags {@code kind}, {@code outcome} (succeeded, failed, cancelled, skipped). */
    public static final String JOB_RUNS = "pgwarden_job_runs_total";
    /** Timer (summary: _count, _sum, _max) in seconds; tags {@code kind}, {@code outcome}. */
    public static final String JOB_DURATION = "pgwarden_job_duration_seconds";
    /** Gauge, epoch seconds of the last successful run; tag {@code kind}. */
    public static final String JOB_LAST_SUCCESS = "pgwarden_job_last_success_timestamp_seconds";
    /** Gauge, epoch seconds of the last failed run; tag {@code kind}. */
    public static final String JOB_LAST_FAILURE = "pgwarden_job_last_failure_timestamp_seconds";
    /** Gauge, runs in progress; tag {@code kind}. */
    public static final String JOB_RUNNING = "pgwarden_job_running";
    /** Gauge, epoch seconds of the next scheduled fire; tag {@code kind}; only for scheduled kinds. */
    public static final String JOB_NEXT_FIRE = "pgwarden_job_next_fire_timestamp_seconds";
    /** Gauge 1/0: the stop file is present, so the daemon starts no new job (see {@code pgwarden pause}). */
    public static final String DAEMON_PAUSED = "pgwarden_daemon_paused";

    /** Counter of finished runs that could not be written to the control database's job history. */
    public static final String JOB_HISTORY_WRITE_FAILURES = "pgwarden_job_history_write_failures_total";
    /** Counter of admin API requests; tags {@code method}, {@code status} (the HTTP status code). */
    public static final String ADMIN_API_REQUESTS = "pgwarden_admin_api_requests_total";

    /** Gauge 1/0 from the last readiness probe; tag {@code dependency} (postgres, repository, key). */
    public static final String DEPENDENCY_UP = "pgwarden_dependency_up";
    /** Counter of failed attempts that were retried or gave up; tags {@code dependency}, {@code code}. */
    public static final String DEPENDENCY_ATTEMPT_FAILURES = "pgwarden_dependency_attempt_failures_total";

    /** Counter; tag {@code result} (archived, duplicate, different_content, foreign). */
    public static final String WAL_PUSHES = "pgwarden_wal_pushes_total";
    /** Counter; tag {@code result} (served, spool_hit, missing, failed): restore_command requests. */
    public static final String WAL_FETCHES = "pgwarden_wal_fetches_total";
    /** Counter of failed pushes; tag {@code reason} (the error code's name, e.g. repo_unreachable, wal_foreign). */
    public static final String WAL_PUSH_FAILURES = "pgwarden_wal_push_failures_total";
    /** Histogram in seconds of one push into the repository; tag {@code mode} (ahead, requested). */
    public static final String WAL_PUSH_DURATION = "pgwarden_wal_push_duration_seconds";
    /** Histogram in seconds of answering one wal-push over the socket; tag {@code answer} (pushed_ahead, waited, pushed, failed). */
    public static final String WAL_REQUEST_DURATION = "pgwarden_wal_request_duration_seconds";
    /** Gauge, epoch seconds when the daemon last stored a WAL file (or found it stored). */
    public static final String WAL_LAST_ARCHIVED = "pgwarden_wal_last_archived_timestamp_seconds";
    /** Gauge, start position in bytes (the LSN) of the newest segment the daemon archived. */
    public static final String WAL_LAST_ARCHIVED_POSITION = "pgwarden_wal_last_archived_position_bytes";
    /** Gauge, timeline of the newest segment the daemon archived. */
    public static final String WAL_LAST_ARCHIVED_TIMELINE = "pgwarden_wal_last_archived_timeline";
    /** Gauge, age in seconds of the oldest {@code .ready} file in archive_status; 0 when none waits. */
    public static final String WAL_ARCHIVE_LAG = "pgwarden_wal_archive_lag_seconds";
    /** Gauge, {@code .ready} files waiting in archive_status. */
    public static final String WAL_READY_FILES = "pgwarden_wal_ready_files";
    /** Gauge, files queued or being pushed ahead of the archiver. */
    public static final String WAL_PUSH_AHEAD_QUEUE = "pgwarden_wal_push_ahead_queue";

    /** Gauge, committed backups in the repository; tag {@code type} (full, diff, incr). */
    public static final String REPOSITORY_BACKUPS = "pgwarden_repository_backups";
    /** Gauge, bytes the repository holds as stored (sealed); tag {@code what} (backups, wal). */
    public static final String REPOSITORY_SIZE = "pgwarden_repository_size_bytes";
    /** Gauge, epoch seconds of the oldest point a restore can reach: the end of the oldest backup. */
    public static final String REPOSITORY_OLDEST_RECOVERY_POINT = "pgwarden_repository_oldest_recovery_point_timestamp_seconds";

    /** Counter of bytes read from PGDATA by backups; tag {@code type} (full, diff, incr). */
    public static final String BACKUP_READ_BYTES = "pgwarden_backup_read_bytes_total";
    /** Counter of bytes written to the repository (compressed, encrypted) by backups; tag {@code type}. */
    public static final String BACKUP_STORED_BYTES = "pgwarden_backup_stored_bytes_total";
    /** Gauge, epoch seconds of the last successful backup; tag {@code type}. */
    public static final String BACKUP_LAST_SUCCESS = "pgwarden_backup_last_success_timestamp_seconds";
    /**
     * Gauge, seconds the newest backup may age before the backup-age alerts fire, from the backup
     * schedules; tag {@code type} ({@code any}: every backup schedule; {@code full}).
     */
    public static final String BACKUP_MAX_AGE = "pgwarden_backup_max_age_seconds";
    /** Gauge, duration of the last successful backup in seconds; tag {@code type}. */
    public static final String BACKUP_LAST_DURATION = "pgwarden_backup_last_duration_seconds";
    /** Counter of pages whose checksum failed during backups. */
    public static final String BACKUP_PAGE_CHECKSUM_ERRORS = "pgwarden_backup_page_checksum_errors_total";
    /**
     * Gauge, pages with invalid checksums found by the newest backup this process ran (0 when it
     * found none). Unlike the counter it stays up until a backup finds the pages good again, so an
     * alert on it does not resolve by itself.
     */
    public static final String BACKUP_LAST_PAGE_CHECKSUM_ERRORS = "pgwarden_backup_last_page_checksum_errors";

    /** Gauge, backups the last verify job found problems with (missing or corrupt objects, WAL gaps). */
    public static final String VERIFY_FAILED_BACKUPS = "pgwarden_verify_failed_backups";

    /** Counter of bytes restores wrote; tag {@code what} (files: the data directory, wal: WAL staged ahead). */
    public static final String RESTORE_BYTES = "pgwarden_restore_bytes_total";
    /** Timer (summary: _count, _sum, _max) in seconds of restores; tag {@code outcome} (succeeded, failed). */
    public static final String RESTORE_DURATION = "pgwarden_restore_duration_seconds";

    /** Gauge, epoch seconds when the last drill that passed its checks finished. */
    public static final String DRILL_LAST_SUCCESS = "pgwarden_drill_last_success_timestamp_seconds";
    /** Gauge, seconds the last drill took; tag {@code phase} (restore, recovery, checks, total). */
    public static final String DRILL_RTO = "pgwarden_drill_rto_seconds";
    /** Gauge, seconds the last drill's recovery point lay behind its reference (target, else newest archived WAL). */
    public static final String DRILL_RECOVERY_POINT_LAG = "pgwarden_drill_recovery_point_lag_seconds";
    /** Gauge, checks the last drill failed (a drill that could not get as far as its checks counts 1). */
    public static final String DRILL_CHECKS_FAILED = "pgwarden_drill_checks_failed";
    /** Gauge 1/0: the last drill breached an objective; tag {@code objective} (rto, rpo). */
    public static final String DRILL_OBJECTIVE_BREACHED = "pgwarden_drill_objective_breached";

    /** Counter of backups expire deleted; tag {@code type} (full, diff, incr). */
    public static final String EXPIRE_BACKUPS = "pgwarden_expire_backups_total";
    /** Counter of bytes expire freed (stored, sealed bytes of backups, interrupted backups and WAL). */
    public static final String EXPIRE_FREED_BYTES = "pgwarden_expire_freed_bytes_total";
    /** Gauge, objects the last expire left in place because an object lock still retains them. */
    public static final String EXPIRE_LOCKED_OBJECTS = "pgwarden_expire_locked_objects";

    /** Counter of maintenance windows run; tags {@code window} (configured names), {@code outcome} (completed, deferred, failed). */
    public static final String MAINTENANCE_WINDOWS = "pgwarden_maintenance_windows_total";
    /** Counter of maintenance items; tags {@code action} (vacuum, analyze, reindex, drop-index), {@code result} (done, skipped, deferred, failed). */
    public static final String MAINTENANCE_ITEMS = "pgwarden_maintenance_items_total";
    /** Counter of seconds maintenance statements ran; tag {@code action}. */
    public static final String MAINTENANCE_SECONDS = "pgwarden_maintenance_seconds_total";
    /** Counter of bytes maintenance reclaimed (relation size before minus after); tag {@code action}. */
    public static final String MAINTENANCE_RECLAIMED_BYTES = "pgwarden_maintenance_reclaimed_bytes_total";
    /** Gauge, items the last run of a window deferred (not reached before it closed); tag {@code window}. */
    public static final String MAINTENANCE_LAST_DEFERRED = "pgwarden_maintenance_last_deferred_items";
    /** Gauge, epoch seconds when a window last finished; tag {@code window}. */
    public static final String MAINTENANCE_LAST_RUN = "pgwarden_maintenance_last_run_timestamp_seconds";
    /**
     * Gauge, dead tuples of the tables with the most of them, at the last window's plan; tags
     * {@code database}, {@code table}: only the {@code maintenance.top-tables} worst (a table that
     * drops out is set to 0).
     */
    public static final String MAINTENANCE_TABLE_DEAD_TUPLES = "pgwarden_maintenance_table_dead_tuples";
    /** Gauge, {@code age(datfrozenxid)}: transactions since the oldest unfrozen one; tag {@code database}. */
    public static final String DATABASE_OLDEST_XID_AGE = "pgwarden_database_oldest_xid_age";

    /** Counter of rows audit retention archived (verified) and then deleted; tag {@code table} (configured tables only). */
    public static final String AUDIT_ROWS_ARCHIVED = "pgwarden_audit_rows_archived_total";
    /** Counter of rows audit retention deleted, archived or not ({@code archive: false}); tag {@code table}. */
    public static final String AUDIT_ROWS_DELETED = "pgwarden_audit_rows_deleted_total";
    /** Counter of bytes audit retention stored in the repository (sealed archives); tag {@code table}. */
    public static final String AUDIT_ARCHIVE_BYTES = "pgwarden_audit_archive_bytes_total";
    /** Counter of partitions audit retention dropped; tag {@code table}. */
    public static final String AUDIT_PARTITIONS_DROPPED = "pgwarden_audit_partitions_dropped_total";
    /** Gauge, age in seconds of the oldest row of a table after its last run; tag {@code table}. */
    public static final String AUDIT_OLDEST_ROW_AGE = "pgwarden_audit_oldest_row_age_seconds";
    /** Gauge, the configured keep period in seconds; tag {@code table}. The "behind" alert compares the age with it. */
    public static final String AUDIT_KEEP = "pgwarden_audit_keep_seconds";
    /**
     * Counter of audit retention runs per table; tags {@code table}, {@code outcome} (completed: nothing
     * older than the cutoff is left; stopped: max run time, replication lag or cancellation ended it
     * between batches; held: legal hold, skipped; failed).
     */
    public static final String AUDIT_RUNS = "pgwarden_audit_runs_total";

    private MeterNames() {
    }
}
