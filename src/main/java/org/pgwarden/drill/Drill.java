package org.pgwarden.drill;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.pgwarden.common.ByteSize;
import org.pgwarden.common.Durations;
import org.pgwarden.common.ErrorCode;
import org.pgwarden.common.PgwardenException;
import org.pgwarden.config.DrillConfig;
import org.pgwarden.job.JobContext;
import org.pgwarden.metrics.MeterNames;
import org.pgwarden.metrics.Metrics;
import org.pgwarden.pg.Lsn;
import org.pgwarden.pg.SqlWork;
import org.pgwarden.pg.TimelineHistory;
import org.pgwarden.pg.TimelineId;
import org.pgwarden.repo.BackupLabel;
import org.pgwarden.repo.RepositoryLayout;
import org.pgwarden.repo.SealedObjects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A restore drill: proves a backup restores by doing it. Checks there is room, restores into a
 * fresh scratch cluster from the repository alone, starts it, waits until recovery reached the
 * target and the copy was promoted, runs the checks, and always stops and deletes the scratch
 * cluster, whatever happened. The result is a {@link DrillReport}: stored in the repository,
 * logged and exported as metrics.
 *
 * <p>Restoring and running a server are the restore feature's and an adapter's business; this
 * class reaches them through {@link Restorer} and {@link Servers}, which the composition root
 * implements, so a drill never depends on another feature.
 */
public final class Drill {
    private static final Logger log = LoggerFactory.getLogger(Drill.class);
    private static final Duration POLL = Duration.ofMillis(200);
    /** Room on top of the backup and its WAL: the server writes its own files (a checkpoint, the log). */
    private static final double SPACE_MARGIN = 1.1;

    /**
     * What the drill restores, as chosen by restore's own planning.
     *
     * @param walReach    how far the archived WAL is readable from the backup's start: the end of the
     *                    newest segment recovery can read
     * @param walTimeline the timeline that segment is on: where recovery to the end of the archive ends
     * @param walProblem  why recovery cannot replay all of the archive (a segment missing while later
     *                    WAL is archived): the drill fails on it, as an operator restoring would lose data
     */
    public record Plan(BackupLabel backup, long backupBytes, long walBytes, Instant backupEnd,
            Optional<Instant> newestArchived, Lsn walReach, TimelineId walTimeline, int segmentSize,
            Optional<String> walProblem) {
    }

    /** The restore side: plan and restore from the repository alone. */
    public interface Restorer {
        /** Chooses the backup for the target as {@code pick} says and checks the archive holds the WAL to reach it. */
        Plan plan(BackupPick pick, Optional<Instant> targetTime);

        /**
         * Restores {@code plan}'s backup into the empty {@code pgdata}, set up to recover to the
         * target, to promote there and to take WAL from the repository; returns the bytes written.
         */
        long restore(Plan plan, Optional<Instant> targetTime, Path pgdata, JobContext context) throws IOException;
    }

    /** A scratch PostgreSQL server on a free port, run as the PostgreSQL OS user. */
    public interface Server extends AutoCloseable {
        /** Where the restore writes; empty until it does. */
        Path dataDirectory();

        /** Starts the server with archiving off and small memory settings; returns once it accepts connections. */
        void start();

        boolean isRunning();

        /** The end of the server log, for messages. */
        String logTail();

        <T> T query(String database, SqlWork<T> work);

        /** Stops the server (immediately) and deletes everything it had; throws when either fails. */
        @Override
        void close();
    }

    /** Makes scratch servers. */
    public interface Servers {
        /** A new, empty server directory under {@code parent}. */
        Server create(Path parent, Duration startTimeout);
    }

    private final DrillConfig config;
    private final Restorer restorer;
    private final Servers servers;
    private final SealedObjects objects;
    private final DrillReports reports;
    private final Clock clock;
    private final Metrics metrics;

    public Drill(DrillConfig config, Restorer restorer, Servers servers, SealedObjects objects, Clock clock,
            Metrics metrics) {
        this.config = config;
        this.restorer = restorer;
        this.servers = servers;
        this.objects = objects;
        this.reports = new DrillReports(objects.store(), objects);
        this.clock = clock;
        this.metrics = metrics;
    }

    /**
     * Runs one drill and records it. Returns the report whether the drill passed or not; throws
     * only when cancelled (after cleaning up and recording) or when the report cannot be stored.
     */
    public DrillReport run(BackupPick set, Optional<Instant> targetTime, JobContext run) {
        Instant started = clock.instant();
        Instant deadline = started.plus(config.timeout());
        // The timeout cancels the work wherever it is (inside a long restore too), not only between steps.
        JobContext.Part part = run.part(deadline, "it ran past its timeout (drill.timeout "
                + Durations.format(config.timeout()) + ")");
        JobContext context = part.context();
        String target = targetTime.map(Instant::toString).orElse("latest");
        Optional<Plan> plan = Optional.empty();
        Optional<String> error = Optional.empty();
        Optional<Instant> reached = Optional.empty();
        List<DrillReport.Check> checks = new ArrayList<>();
        long bytes = 0;
        Instant restoreStart = null;
        Instant restoreEnd = null;
        Instant recoveryEnd = null;
        Instant checksEnd = null;
        PgwardenException cancelled = null;
        log.info("drill run {}: restoring {} to {} into a scratch cluster under '{}' (timeout {})", context.runId(),
                set instanceof BackupPick.Named n ? "backup " + n.label() : set instanceof BackupPick.Random
                        ? "a backup chosen at random" : "the backup chosen for the target", target,
                config.scratchDirectory(), Durations.format(config.timeout()));
        try {
            Plan p = restorer.plan(set, targetTime);
            plan = Optional.of(p);
            checkSpace(p);
            restoreStart = clock.instant();
            // try-with-resources: the scratch cluster is stopped and deleted on every path out
            try (Server server = servers.create(config.scratchDirectory(), remaining(deadline))) {
                bytes = restorer.restore(p, targetTime, server.dataDirectory(), context);
                restoreEnd = clock.instant();
                checkDeadline(context, deadline, "the restore");
                server.start();
                awaitPromoted(server, context, deadline);
                recoveryEnd = clock.instant();
                reached = Optional.of(server.query("postgres", Drill::lastReplayed).orElse(p.backupEnd()));
                checks.add(p.walProblem().map(m -> DrillReport.Check.failed("wal", m))
                        .orElseGet(() -> DrillReport.Check.passed("wal", "the archived WAL is continuous from the"
                                + " backup's start up to LSN " + p.walReach())));
                if (p.walProblem().isEmpty()) {
                    checks.add(RecoveryPointCheck.evaluate(p, targetTime.isEmpty(),
                            server.query("postgres", Drill::recovered)));
                }
                checks.addAll(new DrillChecks(config, server, context, deadline).run());
                checksEnd = clock.instant();
            }
        } catch (PgwardenException e) {
            if (part.expired()) {
                error = Optional.of(timedOut(run, "[" + e.errorCode().id() + "] " + e.getMessage()));
            } else {
                if (e.errorCode() == ErrorCode.CANCELLED) {
                    cancelled = e;
                }
                error = Optional.of("[" + e.errorCode().id() + "] " + e.describe());
            }
        } catch (IOException | RuntimeException e) {
            PgwardenException p = PgwardenException.of(e);
            error = Optional.of(part.expired() ? timedOut(run, "[" + p.errorCode().id() + "] " + p.getMessage())
                    : "[" + p.errorCode().id() + "] " + p.describe());
        } finally {
            part.close();
            if (part.expired()) {
                // the deadline's interrupt was for the work, now ended; recording must not see it
                Thread.interrupted();
            }
        }
        Instant finished = clock.instant();
        Instant end = checksEnd != null ? checksEnd : finished;
        DrillReport.Timings timings = new DrillReport.Timings(between(restoreStart, restoreEnd),
                between(restoreEnd, recoveryEnd), between(recoveryEnd, checksEnd), Duration.between(started, end));
        Optional<Plan> planned = plan;
        Optional<Instant> reference = targetTime.isPresent() ? targetTime
                : planned.flatMap(Plan::newestArchived).or(() -> planned.map(Plan::backupEnd));
        DrillReport draft = new DrillReport(context.runId(), started, finished, plan.map(p -> p.backup().toString()),
                target, error, timings, bytes, reached, reference, checks,
                new DrillReport.Objectives(config.rtoObjective(), false, config.rpoObjective(), false));
        DrillReport report = withObjectives(draft);
        record(report);
        if (cancelled != null) {
            throw cancelled;
        }
        return report;
    }

    /** Objectives are judged only for a drill that passed: a failed one has no RTO to speak of. */
    private DrillReport withObjectives(DrillReport r) {
        boolean rto = r.passed() && config.rtoObjective().map(o -> r.timings().total().compareTo(o) > 0).orElse(false);
        boolean rpo = r.passed() && config.rpoObjective()
                .flatMap(o -> r.recoveryPointLag().map(l -> l.compareTo(o) > 0)).orElse(false);
        return new DrillReport(r.runId(), r.started(), r.finished(), r.backup(), r.target(), r.error(), r.timings(),
                r.bytesRestored(), r.reached(), r.reference(), r.checks(),
                new DrillReport.Objectives(config.rtoObjective(), rto, config.rpoObjective(), rpo));
    }

    private void record(DrillReport r) {
        for (String line : r.lines()) {
            if (r.passed() && !r.objectives().breached()) {
                log.info("drill run {}: {}", r.runId(), line);
            } else {
                log.warn("drill run {}: {}", r.runId(), line);
            }
        }
        metrics.set(MeterNames.DRILL_RTO, DrillReport.seconds(r.timings().restore()), "phase", "restore");
        metrics.set(MeterNames.DRILL_RTO, DrillReport.seconds(r.timings().recovery()), "phase", "recovery");
        metrics.set(MeterNames.DRILL_RTO, DrillReport.seconds(r.timings().checks()), "phase", "checks");
        metrics.set(MeterNames.DRILL_RTO, DrillReport.seconds(r.timings().total()), "phase", "total");
        r.recoveryPointLag().ifPresent(l -> metrics.set(MeterNames.DRILL_RECOVERY_POINT_LAG, DrillReport.seconds(l)));
        int failed = r.failedChecks().size();
        metrics.set(MeterNames.DRILL_CHECKS_FAILED, failed == 0 && r.error().isPresent() ? 1 : failed);
        metrics.set(MeterNames.DRILL_OBJECTIVE_BREACHED, r.objectives().rtoBreached() ? 1 : 0, "objective", "rto");
        metrics.set(MeterNames.DRILL_OBJECTIVE_BREACHED, r.objectives().rpoBreached() ? 1 : 0, "objective", "rpo");
        if (r.passed()) {
            metrics.set(MeterNames.DRILL_LAST_SUCCESS, r.finished().getEpochSecond());
        }
        objects.put(RepositoryLayout.drillReport(r.started()), new java.io.ByteArrayInputStream(r.toJson()));
        try {
            int pruned = reports.prune(config.keepReports());
            if (pruned > 0) {
                log.info("drill run {}: deleted {} old report(s); the newest {} are kept (drill.keep-reports)",
                        r.runId(), pruned, config.keepReports());
            }
        } catch (RuntimeException e) {
            // the report is stored; old ones are deleted after the next drill
            log.warn("drill run {}: unable to delete old drill reports: {}", r.runId(), e.toString());
        }
    }

    private void checkSpace(Plan p) throws IOException {
        Path scratch = config.scratchDirectory();
        Files.createDirectories(scratch);
        long free = Files.getFileStore(scratch).getUsableSpace();
        long needed = (long) ((p.backupBytes() + p.walBytes()) * SPACE_MARGIN);
        if (free < needed) {
            throw new PgwardenException(ErrorCode.DRILL_NO_SPACE, "the drill's scratch directory '" + scratch
                    + "' has " + ByteSize.ofBytes(free).toHuman() + " free, but restoring backup " + p.backup() + " ("
                    + ByteSize.ofBytes(p.backupBytes()).toHuman() + ") and its WAL ("
                    + ByteSize.ofBytes(p.walBytes()).toHuman() + ") needs about " + ByteSize.ofBytes(needed).toHuman(),
                    "free space there, or point drill.scratch-directory at a larger file system", null);
        }
    }

    /** Hot standby accepts connections while it replays; the drill waits for the promotion at the target. */
    private void awaitPromoted(Server server, JobContext context, Instant deadline) {
        while (true) {
            context.checkCancelled();
            if (!server.isRunning()) {
                throw new PgwardenException(ErrorCode.PG_PROCESS_FAILED, "the scratch cluster stopped during"
                        + " recovery; server log ends with:\n" + server.logTail(), "a target the archived WAL does"
                        + " not reach, or WAL that cannot be read, stops recovery; the log says which", null);
            }
            try {
                if (!server.query("postgres", c -> bool(c, "SELECT pg_is_in_recovery()"))) {
                    return;
                }
            } catch (PgwardenException e) {
                // not accepting connections for a moment (promotion); the loop checks it still runs
                log.debug("scratch cluster not answering yet: {}", e.getMessage());
            }
            checkDeadline(context, deadline, "recovery");
            try {
                Thread.sleep(POLL.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new PgwardenException(ErrorCode.CANCELLED, "drill run '" + context.runId()
                        + "' interrupted during recovery", e);
            }
        }
    }

    private String timedOut(JobContext run, String stoppedWith) {
        return "[" + ErrorCode.TIMEOUT.id() + "] drill run '" + run.runId() + "' ran past its timeout (drill.timeout "
                + Durations.format(config.timeout()) + ") and was stopped (" + stoppedWith + "); HINT: raise"
                + " drill.timeout, or drill a smaller backup";
    }

    static void checkDeadline(JobContext context, Instant deadline, String phase) {
        if (context.clock().instant().isAfter(deadline)) {
            throw new PgwardenException(ErrorCode.TIMEOUT, "drill run '" + context.runId() + "' ran past its"
                    + " timeout (drill.timeout) during " + phase,
                    "raise drill.timeout, or drill a smaller backup", null);
        }
    }

    private Duration remaining(Instant deadline) {
        Duration d = Duration.between(clock.instant(), deadline);
        return d.compareTo(Duration.ofSeconds(1)) < 0 ? Duration.ofSeconds(1) : d;
    }

    private static Optional<Instant> lastReplayed(java.sql.Connection c) throws SQLException {
        try (Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT pg_last_xact_replay_timestamp()")) {
            rs.next();
            Timestamp t = rs.getTimestamp(1);
            return Optional.ofNullable(t).map(Timestamp::toInstant);
        }
    }

    /** Where recovery ended: the last replayed LSN stays put after promotion; the new timeline's history names the old. */
    private static Optional<RecoveryPointCheck.Recovered> recovered(java.sql.Connection c) throws SQLException {
        try (Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT pg_last_wal_replay_lsn()::text,"
                        + " substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8)")) {
            rs.next();
            String replayed = rs.getString(1);
            if (replayed == null) {
                return Optional.empty();
            }
            TimelineId current = TimelineId.parseHex(rs.getString(2));
            TimelineId recoveredOn = current;
            if (current.value() > 1) {
                try (ResultSet h = st.executeQuery("SELECT pg_read_file('pg_wal/" + current.toHex() + ".history')")) {
                    h.next();
                    List<TimelineHistory.Entry> ancestors = TimelineHistory.parse(current, h.getString(1)).ancestors();
                    if (!ancestors.isEmpty()) {
                        recoveredOn = ancestors.get(ancestors.size() - 1).timeline();
                    }
                }
            }
            return Optional.of(new RecoveryPointCheck.Recovered(recoveredOn, Lsn.parse(replayed), current));
        }
    }

    private static boolean bool(java.sql.Connection c, String sql) throws SQLException {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getBoolean(1);
        }
    }

    private static Duration between(Instant a, Instant b) {
        return a == null || b == null ? Duration.ZERO : Duration.between(a, b);
    }
}
