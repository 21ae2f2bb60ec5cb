package org.pgwarden.repo;

import java.util.Optional;
import org.pgwarden.storage.ObjectKey;

/**
 * Every key pgwarden uses in a repository, in one place. A repository (a directory or an S3
 * prefix) holds exactly one stanza; keys are relative to its root. The format is documented in
 * {@code docs/repository-format.md}; change both together.
 */
public final class RepositoryLayout {
    /** The stanza's identity: which cluster this repository belongs to. */
    public static final ObjectKey STANZA = new ObjectKey("stanza.json");
    /** Every backup lives under {@code backup/<label>/}. */
    public static final String BACKUP_PREFIX = "backup/";
    /** The lock a backup or expire holds while it changes the repository. */
    public static final ObjectKey BACKUP_LOCK = new ObjectKey("lock/backup");
    /** The WAL archive. */
    public static final String WAL_PREFIX = "wal/";
    /** Scratch objects written by {@code check} to prove the repository is writable. */
    public static final String CHECK_PREFIX = "check/";
    /** Drill reports, {@code drill/<UTC time>.json}; they sort by time. */
    public static final String DRILL_PREFIX = "drill/";
    /** Maintenance window reports, {@code maintenance/<window>/<UTC time>.json}; they sort by time. */
    public static final String MAINTENANCE_PREFIX = "maintenance/";
    /** Audit retention archives, {@code audit/<database>/<schema.table>/<batch>.csv} and {@code .json}. */
    public static final String AUDIT_PREFIX = "audit/";
    /** Wrapped data keys, see {@link KeyringEntry}. */
    public static final String KEYRING_PREFIX = KeyringEntry.PREFIX;

    private static final String MANIFEST = "manifest";
    private static final String DATA = "data";
    private static final String CHUNK_AT = "at";

    private RepositoryLayout() {
    }

    /** {@code backup/<label>/}: everything one backup wrote, committed or not. */
    public static String backupPrefix(BackupLabel label) {
        return BACKUP_PREFIX + label + "/";
    }

    /** {@code backup/<label>/manifest}, written last: its presence is what makes a backup exist. */
    public static ObjectKey manifest(BackupLabel label) {
        return ObjectKey.of("backup", label.toString(), MANIFEST);
    }

    /** {@code backup/<label>/data/}: the backup's bundle objects. */
    public static String dataPrefix(BackupLabel label) {
        return backupPrefix(label) + DATA + "/";
    }

    /**
     * {@code backup/<label>/data/<n>}, {@code n} in at least six digits from {@code 000001}: one
     * bundle object, a sequence of independently sealed chunks.
     */
    public static ObjectKey bundle(BackupLabel label, long number) {
        if (number < 1) {
            throw new IllegalArgumentException("bundle numbers start at 1, got " + number);
        }
        return ObjectKey.of("backup", label.toString(), DATA, String.format("%06d", number));
    }

    /**
     * The identity a chunk is sealed under: {@code <bundle>/at/<chunkOffset>}. It is never stored
     * as an object; binding it as associated data means a chunk copied to another bundle or another
     * offset fails authentication instead of restoring the wrong bytes.
     */
    public static ObjectKey chunkIdentity(ObjectKey bundle, long chunkOffset) {
        if (chunkOffset < 0) {
            throw new IllegalArgumentException("chunk offset must not be negative, got " + chunkOffset);
        }
        return bundle.resolve(CHUNK_AT).resolve(Long.toString(chunkOffset));
    }

    /** {@code verify/<label>.json}: the last {@code verify} result of a backup; removed with the backup. */
    public static ObjectKey verifyResult(BackupLabel label) {
        return ObjectKey.of("verify", label + ".json");
    }

    /**
     * {@code drill/<yyyyMMdd'T'HHmmss'Z'>.json}: the report of the drill that started at
     * {@code started} (UTC, to the second, so keys sort by time).
     */
    public static ObjectKey drillReport(java.time.Instant started) {
        return ObjectKey.of("drill", java.time.format.DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'")
                .withZone(java.time.ZoneOffset.UTC).format(started) + ".json");
    }

    /**
     * {@code maintenance/<window>/<yyyyMMdd'T'HHmmss'Z'>.json}: the report of the run of maintenance
     * window {@code window} that started at {@code started} (UTC, to the second).
     */
    public static ObjectKey maintenanceReport(String window, java.time.Instant started) {
        return ObjectKey.of("maintenance", window, java.time.format.DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'")
                .withZone(java.time.ZoneOffset.UTC).format(started) + ".json");
    }

    /** {@code audit/<database>/<schema.table>/}: every archive and batch manifest of one audited table. */
    public static String auditTablePrefix(String database, String table) {
        return AUDIT_PREFIX + database + "/" + table + "/";
    }

    /** {@code audit/<database>/<schema.table>/<batch>.csv}: one batch (or partition) of rows, CSV with a header. */
    public static ObjectKey auditArchive(String database, String table, String batch) {
        return ObjectKey.of("audit", database, table, batch + ".csv");
    }

    /**
     * {@code audit/<database>/<schema.table>/<batch>.json}: what {@link #auditArchive} holds (key and
     * time range, row count, SHA-256 of the plaintext) and how far its deletion got.
     */
    public static ObjectKey auditManifest(String database, String table, String batch) {
        return ObjectKey.of("audit", database, table, batch + ".json");
    }

    /** Whether {@code key} is a batch manifest under {@link #auditTablePrefix}. */
    public static boolean isAuditManifest(ObjectKey key) {
        return key.value().startsWith(AUDIT_PREFIX) && key.value().endsWith(".json");
    }

    /** Whether {@code key} is a bundle object of backup {@code label}. */
    public static boolean isBundleOf(ObjectKey key, BackupLabel label) {
        String prefix = dataPrefix(label);
        String v = key.value();
        return v.startsWith(prefix) && v.length() > prefix.length() && v.indexOf('/', prefix.length()) < 0;
    }

    /**
     * The backup a key under {@code backup/} belongs to; empty for keys outside {@code backup/} or
     * whose directory is not a well-formed label (so foreign objects are never taken for backups).
     */
    public static Optional<BackupLabel> backupOf(ObjectKey key) {
        String v = key.value();
        if (!v.startsWith(BACKUP_PREFIX)) {
            return Optional.empty();
        }
        int end = v.indexOf('/', BACKUP_PREFIX.length());
        if (end < 0) {
            return Optional.empty();
        }
        String label = v.substring(BACKUP_PREFIX.length(), end);
        return BackupLabel.isValid(label) ? Optional.of(BackupLabel.parse(label)) : Optional.empty();
    }

    /** Whether {@code key} is the manifest of the backup it sits under. */
    public static boolean isManifest(ObjectKey key) {
        return backupOf(key).map(l -> manifest(l).equals(key)).orElse(false);
    }
}
