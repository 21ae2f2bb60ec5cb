package org.pgwarden.pg;

import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What PostgreSQL documents about the files of a data directory, for physical backups: which
 * are left out and which hold relation pages. The rules follow the "Making a Base Backup Using
 * the Low Level API" section of the PostgreSQL manual and what {@code pg_basebackup} skips.
 */
public final class PgDataLayout {
    /** Where tablespace links live, one per tablespace, named by the tablespace's oid. */
    public static final String TABLESPACE_DIRECTORY = "pg_tblspc";
    public static final String WAL_DIRECTORY = "pg_wal";

    /**
     * Top-level directories whose contents are recreated or meaningless after a restore. The
     * directories themselves are kept: PostgreSQL expects them to exist at start.
     */
    static final Set<String> CONTENTS_EXCLUDED = Set.of(
            "pg_dynshmem",   // dynamic shared memory segments of the running server
            "pg_notify",     // LISTEN/NOTIFY queue, emptied at start
            "pg_replslot",   // slots would pin WAL the restored server may not have
            "pg_serial",     // serializable transaction state, emptied at start
            "pg_snapshots",  // exported snapshots, valid only in the running server
            "pg_stat_tmp",   // temporary statistics files
            "pg_subtrans",   // subtransaction state, rebuilt at start
            "pgwarden-wal"); // WAL a restore staged for recovery; leftovers belong to the old history

    /**
     * Top-level files that belong to the running server or to another backup. {@code backup_label}
     * and {@code tablespace_map} come from {@code pg_backup_stop()} instead; copying stale ones
     * would make the restored server recover from the wrong checkpoint.
     */
    static final Set<String> FILES_EXCLUDED = Set.of(
            "postmaster.pid", "postmaster.opts",
            "backup_label", "tablespace_map", "backup_manifest",
            "postgresql.auto.conf.tmp", "current_logfiles", "current_logfiles.tmp");

    /** The only entries of {@code pg_wal} kept: empty directories PostgreSQL needs at start. */
    static final Set<String> WAL_DIRECTORIES_KEPT = Set.of("archive_status", "summaries");

    /** Relation segment: relfilenode, optional fork, optional segment number ({@code 16384_vm.2}). */
    private static final Pattern RELATION = Pattern.compile("(\\d+)(?:_(fsm|vm|init))?(?:\\.(\\d+))?");
    /** Temporary relation of backend {@code N}: {@code t3_16400}, with the same suffixes. */
    private static final Pattern TEMP_RELATION = Pattern.compile("t\\d+_\\d+(?:_(?:fsm|vm|init))?(?:\\.\\d+)?");
    private static final Pattern DATABASE_DIRECTORY = Pattern.compile(
            "(?:base/\\d+|global|pg_tblspc/\\d+/PG_[^/]+/\\d+)");

    private PgDataLayout() {
    }

    /** A parsed relation segment file name. */
    public record RelationFile(String relfilenode, String fork, int segment) {
        public boolean isInitFork() {
            return fork.equals("init");
        }
    }

    /**
     * Whether {@code path} (relative, {@code /}-separated) is a relation segment file:
     * {@code base/<db>/<relfilenode>[_fsm|_vm|_init][.N]}, the same under {@code global/} and under
     * {@code pg_tblspc/<oid>/PG_<version>_<catversion>/<db>/}.
     */
    public static boolean isRelationFile(String path) {
        int slash = path.lastIndexOf('/');
        return slash > 0 && DATABASE_DIRECTORY.matcher(path.substring(0, slash)).matches()
                && RELATION.matcher(path.substring(slash + 1)).matches();
    }

    /** The parts of a relation segment file name, {@code main} fork and segment 0 when absent. */
    public static RelationFile parseRelationFileName(String fileName) {
        Matcher m = RELATION.matcher(fileName);
        if (!m.matches()) {
            throw new IllegalArgumentException("'" + fileName + "' is not a relation segment file name");
        }
        return new RelationFile(m.group(1), m.group(2) == null ? "main" : m.group(2),
                m.group(3) == null ? 0 : Integer.parseInt(m.group(3)));
    }

    static boolean isRelationFileName(String fileName) {
        return RELATION.matcher(fileName).matches();
    }

    /** Files of temporary tables: they vanish with their session and are never restored. */
    static boolean isTempRelationFileName(String fileName) {
        return TEMP_RELATION.matcher(fileName).matches();
    }

    /** {@code pgsql_tmp} directories and files (sorts, hashes spilled to disk), anywhere. */
    static boolean isTempFileName(String name) {
        return name.startsWith("pgsql_tmp");
    }

    /** Relation cache files, rebuilt at start; the prefix also covers their temporary copies. */
    static boolean isRelcacheInitFileName(String name) {
        return name.startsWith("pg_internal.init");
    }
}
