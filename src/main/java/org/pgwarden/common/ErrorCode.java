package org.pgwarden.common;

/**
 * The one catalog of pgwarden's failures. Each code has a stable identifier (printed in logs and
 * metrics, searchable in runbooks), the process exit code it maps to, and whether retrying the
 * same operation may succeed. Retry decisions are made from this flag only.
 *
 * <p>Exit codes: 0 ok, 1 job failed, 2 usage or configuration, 3 a dependency (PostgreSQL, the
 * repository, the key service) cannot be reached or refuses access, 4 integrity (a checksum or an
 * authentication tag does not match), 5 conflict (lock held, repository owned by another
 * cluster), 130 cancelled.
 */
public enum ErrorCode {
    INTERNAL("PGW001", ExitCode.FAILED, false),
    JOB_FAILED("PGW002", ExitCode.FAILED, false),
    CANCELLED("PGW003", ExitCode.CANCELLED, false),
    TIMEOUT("PGW004", ExitCode.FAILED, true),

    USAGE("PGW010", ExitCode.USAGE, false),
    CONFIG_INVALID("PGW011", ExitCode.USAGE, false),
    SECRET_UNRESOLVED("PGW012", ExitCode.USAGE, false),
    /** A backup label given by the operator or found in the repository does not parse. */
    BACKUP_LABEL_INVALID("PGW013", ExitCode.USAGE, false),

    PG_UNREACHABLE("PGW020", ExitCode.DEPENDENCY, true),
    PG_AUTH_FAILED("PGW021", ExitCode.DEPENDENCY, false),
    PG_DATABASE_MISSING("PGW022", ExitCode.DEPENDENCY, false),
    PG_QUERY_FAILED("PGW023", ExitCode.FAILED, false),
    PG_MISCONFIGURED("PGW024", ExitCode.DEPENDENCY, false),
    PG_BINARIES_MISSING("PGW025", ExitCode.DEPENDENCY, false),
    PG_PROCESS_FAILED("PGW026", ExitCode.FAILED, false),
    /** A file or directory under the data directory (or a tablespace) cannot be read. */
    PG_DATA_UNREADABLE("PGW027", ExitCode.FAILED, false),

    REPO_UNREACHABLE("PGW030", ExitCode.DEPENDENCY, true),
    REPO_ACCESS_DENIED("PGW031", ExitCode.DEPENDENCY, false),
    REPO_OBJECT_MISSING("PGW032", ExitCode.FAILED, false),
    REPO_OBJECT_EXISTS("PGW033", ExitCode.CONFLICT, false),
    REPO_REQUEST_INVALID("PGW034", ExitCode.FAILED, false),
    REPO_IO("PGW035", ExitCode.FAILED, false),
    /** A write was attempted through a read-only view of the repository (verify, dry run). */
    REPO_READ_ONLY("PGW036", ExitCode.USAGE, false),
    /** The source stream handed to a put failed; nothing was stored. */
    REPO_SOURCE_FAILED("PGW037", ExitCode.FAILED, false),

    KEY_UNAVAILABLE("PGW040", ExitCode.DEPENDENCY, true),
    KEY_ACCESS_DENIED("PGW041", ExitCode.DEPENDENCY, false),
    KEY_FILE_INVALID("PGW042", ExitCode.USAGE, false),
    KEY_NOT_FOUND("PGW043", ExitCode.DEPENDENCY, false),
    /** The key service rejected a request for a reason retrying cannot fix (named in the message). */
    KEY_REQUEST_INVALID("PGW044", ExitCode.DEPENDENCY, false),

    INTEGRITY_HEADER("PGW050", ExitCode.INTEGRITY, false),
    INTEGRITY_AUTHENTICATION("PGW051", ExitCode.INTEGRITY, false),
    INTEGRITY_TRUNCATED("PGW052", ExitCode.INTEGRITY, false),
    INTEGRITY_CHECKSUM("PGW053", ExitCode.INTEGRITY, false),
    INTEGRITY_WRONG_KEY("PGW054", ExitCode.INTEGRITY, false),
    INTEGRITY_WRONG_STANZA("PGW055", ExitCode.INTEGRITY, false),
    /** An object or keyring entry names a data key id that the repository's keyring does not hold. */
    INTEGRITY_UNKNOWN_KEY("PGW056", ExitCode.INTEGRITY, false),
    /** A manifest opened and authenticated, but its content is malformed, out of order or disagrees with its footer. */
    INTEGRITY_MANIFEST("PGW057", ExitCode.INTEGRITY, false),

    LOCK_HELD("PGW060", ExitCode.CONFLICT, false),
    /** The repository belongs to another cluster (system identifier) or another stanza. */
    STANZA_MISMATCH("PGW061", ExitCode.CONFLICT, false),
    /** The repository has no {@code stanza.json} yet. */
    STANZA_MISSING("PGW062", ExitCode.USAGE, false),
    /** An operation meant for an interrupted backup was asked of a committed one. */
    BACKUP_COMMITTED("PGW063", ExitCode.CONFLICT, false),
    /** Too many triggered jobs are already waiting for their turn; try again when some have run. */
    JOB_QUEUE_FULL("PGW064", ExitCode.CONFLICT, true),
    /** The stop file is present ({@code pgwarden pause}): no new job starts until {@code pgwarden resume}. */
    PAUSED("PGW065", ExitCode.CONFLICT, false),

    HTTP_BIND_FAILED("PGW070", ExitCode.DEPENDENCY, false),
    /** {@code admin.token-file} is missing, empty, open to other users or owned by another user. */
    ADMIN_TOKEN_INVALID("PGW071", ExitCode.USAGE, false),
    /** No daemon answers on {@code admin.listen}. */
    DAEMON_UNREACHABLE("PGW072", ExitCode.DEPENDENCY, true),
    /** The daemon's admin API refused a request (wrong token, bad request); the message says why. */
    API_REQUEST_REFUSED("PGW073", ExitCode.USAGE, false),

    WAL_DIFFERENT_CONTENT("PGW080", ExitCode.INTEGRITY, false),
    WAL_FOREIGN("PGW081", ExitCode.CONFLICT, false),
    WAL_INVALID("PGW082", ExitCode.USAGE, false),
    WAL_NOT_ARCHIVED("PGW083", ExitCode.FAILED, true),
    /** The archive misses WAL a restore needs to reach its target; found before anything is written. */
    WAL_GAP("PGW084", ExitCode.FAILED, false),
    /** The requested recovery timeline does not branch from the restored backup's timeline after its start. */
    WAL_TIMELINE("PGW085", ExitCode.USAGE, false),

    /** The control database (job history) cannot be reached, migrated or written. */
    CONTROL_DB_FAILED("PGW090", ExitCode.DEPENDENCY, true),

    /** A drill's scratch location has too little free space for the backup it would restore. */
    DRILL_NO_SPACE("PGW100", ExitCode.FAILED, false),
    /** A drill restored and started the copy, but one of its checks (amcheck, row counts, SQL) failed. */
    DRILL_CHECK_FAILED("PGW101", ExitCode.FAILED, false),
    /** A drill passed but took longer than the RTO objective or reached a point older than the RPO objective. */
    DRILL_OBJECTIVE_BREACHED("PGW102", ExitCode.FAILED, false),

    /** {@code --window} (or a job's {@code window} parameter) names no configured maintenance window. */
    MAINTENANCE_WINDOW_UNKNOWN("PGW110", ExitCode.USAGE, false),
    /** A maintenance window ran, but one or more of its statements failed with an error. */
    MAINTENANCE_ITEM_FAILED("PGW111", ExitCode.FAILED, false),

    /**
     * An audit-retention table cannot be worked on as configured: it does not exist, lacks the
     * timestamp column, has no primary key and no {@code key-columns}, or is not range-partitioned
     * on the timestamp column in partitions mode.
     */
    AUDIT_TABLE_INVALID("PGW120", ExitCode.USAGE, false),
    /** An audit archive read back from the repository does not hold the rows it was written with; nothing was deleted. */
    AUDIT_ARCHIVE_MISMATCH("PGW121", ExitCode.INTEGRITY, false),
    /** An audit archive could not be stored or read back; nothing of that batch was deleted. */
    AUDIT_ARCHIVE_FAILED("PGW122", ExitCode.DEPENDENCY, true),
    /** A delete would have removed other rows than the batch archived; it was rolled back. */
    AUDIT_DELETE_MISMATCH("PGW123", ExitCode.FAILED, false),
    /** {@code retention restore} found no archived rows of the table in the asked time range. */
    AUDIT_NOTHING_ARCHIVED("PGW124", ExitCode.FAILED, false);

    private final String id;
    private final int exitCode;
    private final boolean retriable;

    ErrorCode(String id, int exitCode, boolean retriable) {
        this.id = id;
        this.exitCode = exitCode;
        this.retriable = retriable;
    }

    /** Stable identifier such as {@code PGW020}; never reused for another meaning. */
    public String id() {
        return id;
    }

    public int exitCode() {
        return exitCode;
    }

    /** Whether the same operation may succeed when tried again after a pause. */
    public boolean retriable() {
        return retriable;
    }

    /** The code with identifier {@code id} ({@code PGW020}), if there is one. */
    public static java.util.Optional<ErrorCode> byId(String id) {
        for (ErrorCode c : values()) {
            if (c.id.equals(id)) {
                return java.util.Optional.of(c);
            }
        }
        return java.util.Optional.empty();
    }
}
