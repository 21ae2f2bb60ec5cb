package org.pgwarden.app;

import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import org.pgwarden.common.PgwardenException;
import org.pgwarden.drill.DrillReports;
import org.pgwarden.metrics.MeterNames;
import org.pgwarden.metrics.Metrics;
import org.pgwarden.repo.BackupCatalog;
import org.pgwarden.repo.BackupInfo;
import org.pgwarden.repo.BackupType;
import org.pgwarden.repo.RepositoryLayout;
import org.pgwarden.storage.ObjectInfo;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The repository as gauges: how many backups it holds by type, how many bytes backups and WAL
 * take, the oldest point a restore can reach (the end of the oldest backup), and when a restore
 * drill last passed. Read from the
 * repository itself at daemon start and after every backup or expire the daemon runs, so the
 * figures are the repository's, not this process's memory, and include backups taken elsewhere
 * once one of those runs.
 */
final class RepositoryGauges {
    private static final Logger log = LoggerFactory.getLogger(RepositoryGauges.class);

    /** Reports read back at most, newest first, to find the last drill that passed. */
    private static final int LAST_DRILL_LOOK_BACK = 30;

    private final RepositoryAccess repository;
    private final Metrics metrics;

    RepositoryGauges(RepositoryAccess repository, Metrics metrics) {
        this.repository = repository;
        this.metrics = metrics;
    }

    /** Re-reads the repository; a failure is logged and leaves the previous values. */
    void refresh() {
        try {
            List<BackupInfo> backups = new BackupCatalog(repository.store(), repository.objects()).list();
            long walBytes;
            try (Stream<ObjectInfo> wal = repository.store().list(RepositoryLayout.WAL_PREFIX)) {
                walBytes = wal.mapToLong(ObjectInfo::size).sum();
            }
            publish(metrics, backups, walBytes);
            // After a restart the gauge the drill alert watches comes from the reports, not from memory.
            new DrillReports(repository.store(), repository.objects()).lastSuccess(LAST_DRILL_LOOK_BACK)
                    .ifPresent(t -> metrics.set(MeterNames.DRILL_LAST_SUCCESS, t.getEpochSecond()));
        } catch (RuntimeException e) {
            PgwardenException p = PgwardenException.of(e);
            log.warn("unable to read the repository for its gauges: [{}] {}", p.errorCode().id(), p.getMessage());
        }
    }

    /** Sets the gauges from a listing; every type is set (0 when absent) so a series never goes stale. */
    static void publish(Metrics metrics, List<BackupInfo> backups, long walBytes) {
        for (BackupType type : BackupType.values()) {
            metrics.set(MeterNames.REPOSITORY_BACKUPS, backups.stream().filter(b -> b.header().type() == type).count(),
                    "type", type.name().toLowerCase(Locale.ROOT));
        }
        metrics.set(MeterNames.REPOSITORY_SIZE, backups.stream().mapToLong(BackupInfo::storedBytes).sum(),
                "what", "backups");
        metrics.set(MeterNames.REPOSITORY_SIZE, walBytes, "what", "wal");
        backups.stream().map(b -> b.header().stopTime()).min(Comparator.naturalOrder()).ifPresent(oldest ->
                metrics.set(MeterNames.REPOSITORY_OLDEST_RECOVERY_POINT, oldest.toEpochMilli() / 1000.0));
    }
}
