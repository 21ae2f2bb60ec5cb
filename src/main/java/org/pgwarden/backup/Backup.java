package org.pgwarden.backup;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Collections;
import java.util.Iterator;
import java.util.Map;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.pgwarden.common.ErrorCode;
import org.pgwarden.common.PgwardenException;
import org.pgwarden.config.BackupConfig;
import org.pgwarden.crypto.SealingKey;
import org.pgwarden.job.JobContext;
import org.pgwarden.job.Progress;
import org.pgwarden.metrics.MeterNames;
import org.pgwarden.metrics.Metrics;
import org.pgwarden.pg.Lsn;
import org.pgwarden.pg.PgBackupSession;
import org.pgwarden.pg.PgBackupStop;
import org.pgwarden.pg.PgCluster;
import org.pgwarden.pg.PgDataEntry;
import org.pgwarden.pg.PgDataWalker;
import org.pgwarden.pg.PgServerInfo;
import org.pgwarden.repo.BackupCatalog;
import org.pgwarden.repo.BackupInfo;
import org.pgwarden.repo.BackupLabel;
import org.pgwarden.repo.BackupType;
import org.pgwarden.repo.Keyring;
import org.pgwarden.repo.ManifestEntry;
import org.pgwarden.repo.LockOwner;
import org.pgwarden.repo.ManifestHeader;
import org.pgwarden.repo.ManifestReader;
import org.pgwarden.repo.ManifestWriter;
import org.pgwarden.repo.RepositoryLock;
import org.pgwarden.repo.SealedObjects;
import org.pgwarden.repo.StanzaInfo;
import org.pgwarden.repo.StanzaStore;
import org.pgwarden.repo.WalArchiveIndex;
import org.pgwarden.storage.ObjectStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Takes one physical backup. The same code runs for the CLI and the scheduler.
 */
public final class Backup {
    private static final Logger log = LoggerFactory.getLogger(Backup.class);

    /** What to back up. */
    public record Request(BackupType type, Map<String, String> annotations) {
    }

    /** What a finished backup did. */
    public record Result(BackupLabel label, BackupType type, Optional<BackupLabel> parent, long bytesRead,
            long bytesStored, long bytesReused, long files, long invalidPages, Duration duration) {

        /** {@code backup L (incr, parent P): 1204 files, 3.0 GiB read, ...}: the CLI's and the daemon's summary. */
        public String describe() {
            return "backup " + label + " (" + type.name().toLowerCase(java.util.Locale.ROOT)
                    + parent.map(p -> ", parent " + p).orElse("") + "): " + files + " files, " + human(bytesRead)
                    + " read, " + human(bytesStored) + " stored, " + human(bytesReused) + " reused, "
                    + duration.toSeconds() + "s" + (invalidPages > 0 ? ", " + invalidPages
                    + " page(s) with invalid checksums" : "");
        }
    }

    private final ObjectStore store;
    private final SealedObjects objects;
    private final Keyring keyring;
    private final PgCluster postgres;
    private final Path dataDirectory;
    private final BackupConfig config;
    private final Clock clock;
    private final Metrics metrics;

    public Backup(ObjectStore store, SealedObjects objects, Keyring keyring, PgCluster postgres,
            Path dataDirectory, BackupConfig config, Clock clock, Metrics metrics) {
        this.store = store;
        this.objects = objects;
        this.keyring = keyring;
        this.postgres = postgres;
        this.dataDirectory = dataDirectory;
        this.config = config;
        this.clock = clock;
        this.metrics = metrics;
    }

    /**
     * Checks the cluster, takes the repository lock, chooses the parent, copies PGDATA between
     * {@code pg_backup_start} and {@code pg_backup_stop}, waits for the WAL that makes the copy
     * consistent, and commits the manifest last: only then does the backup exist.
     */
    public Result run(Request request, JobContext context) {
        Instant started = clock.instant();
        StanzaInfo stanza = new StanzaStore(store, objects).load();
        PgServerInfo server = postgres.serverInfo();
        ClusterChecks.requireBackupable(server, stanza, dataDirectory);
        BackupCatalog catalog = new BackupCatalog(store, objects);
        BackupLabel label;
        try (RepositoryLock.Held lock = new RepositoryLock(store).acquireReclaimingStale(
                LockOwner.thisProcess(null, clock.instant(), version()),
                stale -> log.warn("taking over the stale repository lock of {}: that process no longer runs on this"
                        + " host (it crashed or was killed); its unfinished backup is removed", stale.describe()))) {
            List<BackupLabel> taken = new ArrayList<>(removeInterrupted(catalog));
            List<BackupInfo> committed = catalog.list();
            committed.forEach(b -> taken.add(b.label()));
            Optional<BackupInfo> parent = ParentChoice.choose(request.type(), committed);
            BackupType type = parent.isEmpty() ? BackupType.FULL : request.type();
            if (type != request.type()) {
                log.warn("no full backup to base a {} backup on; taking a full backup", request.type().name().toLowerCase());
            }
            label = ParentChoice.label(type, parent, started, taken);
            context.checkCancelled();
            return copy(request, context, stanza, server, type, parent, label, started);
        }
    }

    private Result copy(Request request, JobContext context, StanzaInfo stanza, PgServerInfo server, BackupType type,
            Optional<BackupInfo> parent, BackupLabel label, Instant started) {
        BackupCounters counters = new BackupCounters();
        SealingKey dataKey = keyring.newDataKey();
        log.info("backup {} ({}{}) of '{}' started", label, type.name().toLowerCase(),
                parent.map(p -> ", parent " + p.label()).orElse(""), dataDirectory);
        try (Progress progress = Progress.start("backup " + label, totalSize(), counters::read, clock);
                EntrySpool spool = new EntrySpool(config.spoolDirectory());
                PgBackupSession session = postgres.beginBackup(label.toString(), config.fastStart());
                Stream<PgDataEntry> walk = new PgDataWalker(dataDirectory).entries();
                ParentEntries parentEntries = ParentEntries.open(objects, parent)) {
            Optional<Lsn> checksumsFrom = server.dataChecksums() ? Optional.of(session.startLsn()) : Optional.empty();
            new PgDataCopier(store, objects, dataKey, config, counters, context)
                    .copy(label, walk, parentEntries.iterator(), checksumsFrom, spool);
            PgBackupStop stop = session.end();
            new WalWait(new WalArchiveIndex(store), stanza.walSegmentSize(), config.archiveTimeout(), clock)
                    .await(session.timeline(), session.startLsn(), stop.stopLsn(), context);
            // Set also when zero: a clean backup is what clears the page checksum alert.
            metrics.set(MeterNames.BACKUP_LAST_PAGE_CHECKSUM_ERRORS, counters.invalidPages());
            if (counters.invalidPages() > 0) {
                metrics.increment(MeterNames.BACKUP_PAGE_CHECKSUM_ERRORS, counters.invalidPages());
                log.warn("backup {} found {} page(s) with invalid checksums; they are listed in its manifest",
                        label, counters.invalidPages());
                if (config.failOnPageErrors()) {
                    throw new PgwardenException(ErrorCode.INTEGRITY_CHECKSUM, "backup " + label + " found "
                            + counters.invalidPages() + " page(s) with invalid checksums",
                            "backup.page-checksum-errors is 'fail'; see 'pgwarden info' and check the storage", null);
                }
            }
            ManifestHeader header = new ManifestHeader(label, type, parent.map(BackupInfo::label),
                    session.startTime(), stop.stopTime(), session.startLsn().toString(), stop.stopLsn().toString(),
                    session.timeline().value(), stanza.pgMajor(), stanza.systemIdentifier(), stanza.walSegmentSize(),
                    config.sliceSize(), stop.backupLabelText(), stop.tablespaceMapText(), server.dataChecksums(),
                    request.annotations());
            commit(label, header, spool, counters, dataKey);
        }
        Duration took = Duration.between(started, clock.instant());
        String t = type.name().toLowerCase();
        metrics.increment(MeterNames.BACKUP_READ_BYTES, counters.read(), "type", t);
        metrics.increment(MeterNames.BACKUP_STORED_BYTES, counters.stored(), "type", t);
        metrics.set(MeterNames.BACKUP_LAST_SUCCESS, clock.millis() / 1000.0, "type", t);
        metrics.set(MeterNames.BACKUP_LAST_DURATION, took.toMillis() / 1000.0, "type", t);
        log.info("backup {} committed: {} files, {} read, {} stored, {} reused from earlier backups, {}s", label,
                counters.files(), human(counters.read()), human(counters.stored()), human(counters.reused()),
                took.toSeconds());
        return new Result(label, type, parent.map(BackupInfo::label), counters.read(), counters.stored(),
                counters.reused(), counters.files(), counters.invalidPages(), took);
    }

    /** The manifest is written last; its commit is the moment the backup starts to exist. */
    private void commit(BackupLabel label, ManifestHeader header, EntrySpool spool, BackupCounters counters,
            SealingKey dataKey) {
        try (ManifestWriter writer = ManifestWriter.open(objects, header, dataKey)) {
            spool.replay(writer::add);
            writer.commit();
        }
    }

    /** Removes backups that never completed; returns their labels. */
    private List<BackupLabel> removeInterrupted(BackupCatalog catalog) {
        List<BackupLabel> removed = catalog.interrupted();
        for (BackupLabel interrupted : removed) {
            log.warn("removing interrupted backup {} (no manifest: it never completed)", interrupted);
            catalog.removeInterrupted(interrupted);
        }
        // A backup killed before its first object became visible leaves only unfinished writes,
        // which no listing shows. We hold the repository lock, so nothing else writes here now.
        long swept = store.discardIncomplete(org.pgwarden.repo.RepositoryLayout.BACKUP_PREFIX);
        if (swept > 0) {
            log.warn("removed {} unfinished write(s) left under '{}' by an interrupted backup", swept,
                    org.pgwarden.repo.RepositoryLayout.BACKUP_PREFIX);
        }
        return removed;
    }

    private long totalSize() {
        try (Stream<PgDataEntry> s = new PgDataWalker(dataDirectory).entries()) {
            return s.mapToLong(PgDataEntry::size).sum();
        }
    }

    private static String version() {
        Package p = Backup.class.getPackage();
        return p.getImplementationVersion() == null ? "unknown" : p.getImplementationVersion();
    }

    public static String human(long bytes) {
        return org.pgwarden.common.ByteSize.ofBytes(bytes).toHuman();
    }

    /** The parent backup's manifest entries, in path order (none for a full backup). */
    static final class ParentEntries implements AutoCloseable {
        private final ManifestReader reader;

        private ParentEntries(ManifestReader reader) {
            this.reader = reader;
        }

        static ParentEntries open(SealedObjects objects, Optional<BackupInfo> parent) {
            return new ParentEntries(parent.map(p -> ManifestReader.open(objects, p.label())).orElse(null));
        }

        Iterator<ManifestEntry> iterator() {
            return reader == null ? Collections.emptyIterator() : reader.iterator();
        }

        @Override
        public void close() {
            if (reader != null) {
                reader.close();
            }
        }
    }
}
