package org.pgwarden.repo;

import java.time.Instant;
import java.util.Collections;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;

/**
 * What a backup is, written as the first line of its manifest so that listing backups reads only
 * the start of each manifest. LSNs are PostgreSQL's text form ({@code 16/B374D848}).
 *
 * @param parent            the backup this one stores differences against; empty for a full
 * @param blockSize         the granularity of block-incremental relation files, in bytes
 * @param backupLabelText   the {@code backup_label} content returned by {@code pg_backup_stop}
 * @param tablespaceMapText the {@code tablespace_map} content, or null when there is none
 * @param annotations       free text given by the operator, sorted by key
 */
public record ManifestHeader(BackupLabel label, BackupType type, Optional<BackupLabel> parent, Instant startTime,
        Instant stopTime, String startLsn, String stopLsn, int timeline, int pgMajor, long systemIdentifier,
        int walSegmentSize, int blockSize, String backupLabelText, String tablespaceMapText, boolean dataChecksums,
        Map<String, String> annotations) {

    public ManifestHeader {
        Objects.requireNonNull(label, "label");
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(parent, "parent");
        Objects.requireNonNull(startTime, "startTime");
        Objects.requireNonNull(stopTime, "stopTime");
        Objects.requireNonNull(backupLabelText, "backupLabelText");
        if (type != label.type()) {
            throw new IllegalArgumentException("backup '" + label + "' is of type " + label.type() + ", not " + type);
        }
        if (type == BackupType.FULL ? parent.isPresent() : parent.isEmpty()) {
            throw new IllegalArgumentException("backup '" + label + "': a full backup has no parent, others have one");
        }
        parent.ifPresent(p -> {
            if (!p.fullLabel().equals(label.fullLabel()) || p.compareTo(label) >= 0) {
                throw new IllegalArgumentException("parent '" + p + "' of backup '" + label
                        + "' must be an earlier backup of full '" + label.fullLabel() + "'");
            }
            if (type == BackupType.DIFF && !p.isFull()) {
                throw new IllegalArgumentException("parent '" + p + "' of differential backup '" + label
                        + "' must be its full '" + label.fullLabel() + "'");
            }
        });
        if (stopTime.isBefore(startTime)) {
            throw new IllegalArgumentException("backup '" + label + "' stops before it starts");
        }
        ManifestRules.lsn("start LSN", startLsn);
        ManifestRules.lsn("stop LSN", stopLsn);
        ManifestRules.positive("timeline", timeline);
        ManifestRules.positive("PostgreSQL major version", pgMajor);
        ManifestRules.positive("WAL segment size", walSegmentSize);
        ManifestRules.positive("block size", blockSize);
        TreeMap<String, String> sorted = new TreeMap<>(annotations == null ? Map.of() : annotations);
        sorted.forEach((k, v) -> Objects.requireNonNull(v, "annotation '" + k + "'"));
        annotations = Collections.unmodifiableSortedMap(sorted);
    }
}
