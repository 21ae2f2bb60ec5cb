package org.pgwarden.app;

import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Supplier;
import org.pgwarden.job.Job;
import org.pgwarden.job.JobContext;
import org.pgwarden.job.JobResult;
import org.pgwarden.metrics.MeterNames;
import org.pgwarden.metrics.Metrics;
import org.pgwarden.repo.BackupCatalog;
import org.pgwarden.repo.BackupInfo;
import org.pgwarden.repo.BackupType;

/**
 * Publishes what the repository says about its newest backups: the stop time of the newest backup
 * of each type ({@code pgwarden_backup_last_success_timestamp_seconds}) and the invalid pages the
 * newest backup found. Backups taken in this process update the same gauges; reading them from the
 * repository (the source of truth) at start means that a restarted daemon, or one whose backups
 * were taken by another process, still lets the backup-age alerts see how old the backups are.
 *
 * <p>It reads every manifest, so the daemon runs it once at start (again a minute later while the
 * repository cannot be read).
 */
final class BackupCatalogGauges implements Job {
    static final String KIND = "catalog";

    private final Supplier<BackupCatalog> catalog;
    private final Metrics metrics;

    BackupCatalogGauges(Supplier<BackupCatalog> catalog, Metrics metrics) {
        this.catalog = catalog;
        this.metrics = metrics;
    }

    @Override
    public String kind() {
        return KIND;
    }

    @Override
    public JobResult run(JobContext context) {
        List<BackupInfo> backups = catalog.get().list();
        context.checkCancelled();
        Map<BackupType, BackupInfo> newest = new EnumMap<>(BackupType.class);
        backups.forEach(b -> newest.put(b.header().type(), b)); // oldest first: the last one wins
        newest.forEach((type, b) -> metrics.set(MeterNames.BACKUP_LAST_SUCCESS,
                b.header().stopTime().toEpochMilli() / 1000.0, "type", type.name().toLowerCase(Locale.ROOT)));
        if (!backups.isEmpty()) {
            metrics.set(MeterNames.BACKUP_LAST_PAGE_CHECKSUM_ERRORS,
                    backups.get(backups.size() - 1).footer().invalidPageCount());
        }
        return JobResult.of(backups.isEmpty() ? "the repository holds no backup"
                : "newest backups: " + String.join(", ", newest.values().stream().map(b -> b.label().toString())
                        .toList()));
    }
}
