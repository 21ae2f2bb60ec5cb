package org.pgwarden.backup;

import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import org.pgwarden.repo.BackupInfo;
import org.pgwarden.repo.BackupLabel;
import org.pgwarden.repo.BackupType;

/** Which backup a new one builds on, and what it is called. */
final class ParentChoice {
    private ParentChoice() {
    }

    /**
     * Incremental: the latest backup of any type. Differential: the latest full. Full: none.
     * Empty also when there is nothing to build on (the caller then takes a full backup).
     */
    static Optional<BackupInfo> choose(BackupType type, List<BackupInfo> backups) {
        Comparator<BackupInfo> byLabel = Comparator.comparing(BackupInfo::label);
        return switch (type) {
            case FULL -> Optional.empty();
            case INCR -> backups.stream().max(byLabel);
            case DIFF -> backups.stream().filter(b -> b.label().type() == BackupType.FULL).max(byLabel);
        };
    }

    /**
     * A label after every label in {@code taken} (committed backups, and interrupted ones just
     * removed: a label is never used twice, even for a backup that never completed), for a backup
     * started at {@code start}.
     */
    static BackupLabel label(BackupType type, Optional<BackupInfo> parent, Instant start, List<BackupLabel> taken) {
        Optional<BackupLabel> newest = taken.stream().max(Comparator.naturalOrder());
        // A backup started in the second its parent (or any newer backup) is named by gets the next
        // second: labels are whole seconds and must stay in order (two triggered backups in a row).
        Instant at = BackupLabel.nextAfter(newest.orElse(null), start);
        while (true) {
            BackupLabel candidate = type == BackupType.FULL ? BackupLabel.newFull(at)
                    : BackupLabel.newIncremental(parent.orElseThrow().label(), at, type);
            if (newest.isEmpty() || candidate.compareTo(newest.get()) > 0) {
                return candidate;
            }
            at = at.plusSeconds(1);
        }
    }
}
