package org.pgwarden.app;

import java.util.Comparator;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;
import org.pgwarden.job.Job;
import org.pgwarden.job.JobContext;
import org.pgwarden.job.JobResult;
import org.pgwarden.metrics.MeterNames;
import org.pgwarden.metrics.Metrics;
import org.pgwarden.repo.BackupCatalog;
import org.pgwarden.repo.BackupInfo;
import org.pgwarden.repo.BackupLabel;
import org.pgwarden.repo.BackupType;

/**
 * Publishes what the repository says about its newest backups: the stop time of the newest backup
 * of each type ({@code pgwarden_backup_last_success_timestamp_seconds}) and the invalid pages the
 * newest backup found. Backups taken in this process update the same gauges at once; reading the
 * repository (the source of truth) as well means a restarted daemon, and backups taken by another
 * process ({@code pgwarden backup} from a timer or by hand), still reach the backup-age alerts.
 *
 * <p>Each run lists {@code backup/} once and reads only the manifests of backups it has not seen
 * yet, so the daemon can repeat it every few minutes at the cost of one listing.
 */
final class BackupCatalogGauges implements Job {
    static final String KIND = "catalog";

    private final Supplier<BackupCatalog> catalog;
    private final Metrics metrics;
    private final Map<BackupLabel, BackupInfo> known = new HashMap<>();

    BackupCatalogGauges(Supplier<BackupCatalog> catalog, Metrics metrics) {
        this.catalog = catalog;
        this.metrics = metrics;
    }

    @Override
    public String kind() {
        return KIND;
    }

    @Override
    public synchronized JobResult run(JobContext context) {
        BackupCatalog c = catalog.get();
        List<BackupLabel> labels = c.committedLabels();
        known.keySet().retainAll(new HashSet<>(labels)); // expired backups are gone
        for (BackupLabel label : labels) {
            if (!known.containsKey(label)) {
                context.checkCancelled();
                c.find(label).ifPresent(b -> known.put(label, b));
            }
        }
        Map<BackupType, BackupInfo> newest = new EnumMap<>(BackupType.class);
        for (BackupInfo b : known.values()) {
            newest.merge(b.header().type(), b, (x, y) -> stop(x) >= stop(y) ? x : y);
        }
        newest.forEach((type, b) -> metrics.set(MeterNames.BACKUP_LAST_SUCCESS, stop(b) / 1000.0,
                "type", type.name().toLowerCase(Locale.ROOT)));
        Optional<BackupInfo> latest = known.values().stream().max(Comparator.comparingLong(BackupCatalogGauges::stop));
        latest.ifPresent(b -> metrics.set(MeterNames.BACKUP_LAST_PAGE_CHECKSUM_ERRORS, b.footer().invalidPageCount()));
        return JobResult.of(latest.map(b -> known.size() + " backups, newest " + b.label())
                .orElse("the repository holds no backup"));
    }

    private static long stop(BackupInfo b) {
        return b.header().stopTime().toEpochMilli();
    }
}
