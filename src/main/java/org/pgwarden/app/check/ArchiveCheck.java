package org.pgwarden.app.check;

import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import org.pgwarden.common.Durations;
import org.pgwarden.common.ErrorCode;
import org.pgwarden.common.PgwardenException;
import org.pgwarden.pg.PgCluster;
import org.pgwarden.pg.PgServerInfo;
import org.pgwarden.repo.RepositoryLayout;
import org.pgwarden.repo.WalArchiveIndex;
import org.pgwarden.storage.ObjectStore;

/**
 * Proves that WAL archiving works end to end, as only a real segment can: forces PostgreSQL to
 * finish the current segment and waits until that segment is in the repository, reporting how
 * long it took. Run by {@code pgwarden check} only, never by the daemon's periodic readiness
 * probe, because every run closes a WAL segment early.
 */
public final class ArchiveCheck {
    private static final String NAME = "archive a WAL segment";
    private static final Duration POLL = Duration.ofMillis(200);

    private final String stanza;
    private final PgCluster postgres;
    private final ObjectStore repository;
    private final Duration timeout;
    private final Clock clock;

    public ArchiveCheck(String stanza, PgCluster postgres, ObjectStore repository, Duration timeout, Clock clock) {
        this.stanza = stanza;
        this.postgres = postgres;
        this.repository = repository;
        this.timeout = timeout;
        this.clock = clock;
    }

    public CheckResult run() {
        try {
            PgServerInfo info = postgres.serverInfo();
            if (!info.archivingEnabled()) {
                return CheckResult.warn("postgres", NAME, "not tested: archive_mode is '" + info.archiveMode() + "'",
                        null);
            }
            if (info.inRecovery()) {
                return CheckResult.warn("postgres", NAME, "not tested: the server is a standby and cannot switch"
                        + " WAL segments", "run 'pgwarden check' against the primary");
            }
            if (repository.stat(RepositoryLayout.STANZA).isEmpty()) {
                return CheckResult.warn("repository", NAME, "not tested: stanza '" + stanza + "' does not exist yet in "
                        + repository.describe(), "run 'pgwarden stanza-create', then 'pgwarden check' again");
            }
            long started = clock.millis();
            String segment = switchSegment();
            return awaitArchived(segment, started, info.archiveCommand());
        } catch (RuntimeException e) {
            return CheckResult.fail("postgres", NAME, PgwardenException.of(e));
        }
    }

    /**
     * Writes a WAL record first: on an idle server {@code pg_switch_wal()} does nothing when the
     * current segment is empty. A logical message writes WAL without touching any table.
     */
    private String switchSegment() {
        return postgres.withConnection(c -> {
            try (Statement s = c.createStatement()) {
                s.execute("SELECT pg_logical_emit_message(false, 'pgwarden', 'check')");
                try (ResultSet rs = s.executeQuery("SELECT pg_walfile_name(pg_switch_wal())")) {
                    rs.next();
                    return rs.getString(1);
                }
            }
        });
    }

    private CheckResult awaitArchived(String segment, long started, String archiveCommand) {
        WalArchiveIndex index = new WalArchiveIndex(repository);
        long deadline = started + timeout.toMillis();
        while (index.find(segment).isEmpty()) {
            if (clock.millis() >= deadline) {
                return CheckResult.fail("postgres", NAME, ErrorCode.WAL_NOT_ARCHIVED, "WAL segment '" + segment
                        + "' did not reach the repository within " + Durations.format(timeout) + lastFailure(),
                        "check archive_command ('" + archiveCommand + "') and the PostgreSQL log for archiver errors;"
                                + " it must run 'pgwarden wal-push %p' with this configuration");
            }
            sleep();
        }
        double seconds = (clock.millis() - started) / 1000.0;
        return CheckResult.ok("postgres", NAME, String.format(Locale.ROOT, "segment '%s' archived in %.1fs",
                segment, seconds));
    }

    /** What pg_stat_archiver says about the last failure, so the operator need not look it up. */
    private String lastFailure() {
        try {
            return postgres.withConnection(c -> {
                try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(
                        "SELECT last_failed_wal, last_failed_time::text FROM pg_stat_archiver")) {
                    rs.next();
                    return rs.getString(1) == null ? "; pg_stat_archiver reports no failure"
                            : "; pg_stat_archiver's last failure: '" + rs.getString(1) + "' at " + rs.getString(2);
                }
            });
        } catch (RuntimeException e) {
            return "";
        }
    }

    private static void sleep() {
        try {
            TimeUnit.MILLISECONDS.sleep(POLL.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new PgwardenException(ErrorCode.CANCELLED, "interrupted while waiting for WAL archiving", e);
        }
    }
}
