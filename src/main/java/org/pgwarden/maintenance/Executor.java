package org.pgwarden.maintenance;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.pgwarden.config.MaintenanceConfig;
import org.pgwarden.job.JobContext;
import org.pgwarden.maintenance.WindowReport.ItemResult;
import org.pgwarden.maintenance.WindowReport.Result;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs a plan's items in order while the window is open. Every statement runs in autocommit (VACUUM
 * and the concurrent index commands refuse a transaction block) with its own {@code lock_timeout}
 * (a lock not granted quickly is given up rather than making application sessions queue behind
 * it) and a {@code statement_timeout} that ends at the window's end. A watchdog also cancels the
 * running statement when the job is cancelled, or shortly after the window end should the
 * server-side timeout not have fired. Guards are checked before each item; while one holds the
 * window pauses, and when it still holds at the end the rest is deferred.
 */
final class Executor {
    private static final Logger log = LoggerFactory.getLogger(Executor.class);
    /** Prefix of the detail of an item cancelled because the window closed. */
    static final String WINDOW_END = "window end";
    /** An item is not started with less than this left: it could not finish anyway. */
    static final Duration MIN_SLOT = Duration.ofMillis(500);
    /** After the window end, the watchdog cancels a statement the server has not stopped by then. */
    static final Duration CANCEL_GRACE = Duration.ofSeconds(1);

    /** Opens (once per database, for the whole window) and closes the window's sessions. */
    interface Sessions {
        Connection get(String database) throws SQLException;

        /** Forgets a session that failed, so the next item opens a new one. */
        void discard(String database);
    }

    private final MaintenanceConfig.Window window;
    private final Sessions sessions;
    private final Guards guards;
    private final Clock clock;

    Executor(MaintenanceConfig.Window window, Sessions sessions, Guards guards, Clock clock) {
        this.window = window;
        this.sessions = sessions;
        this.guards = guards;
        this.clock = clock;
    }

    /** The results, one per item in plan order; {@code stop} receives why the rest was deferred. */
    List<ItemResult> run(Plan plan, Instant deadline, JobContext context, AtomicReference<String> stop) {
        List<ItemResult> out = new ArrayList<>();
        ScheduledExecutorService watchdog = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "pgwarden-maintenance-watchdog");
            t.setDaemon(true);
            return t;
        });
        try {
            for (Plan.Item item : plan.items()) {
                if (stop.get() == null) {
                    stop.set(stopReason(item, deadline, context).orElse(null));
                }
                if (stop.get() != null) {
                    out.add(new ItemResult(item, Result.DEFERRED, stop.get(), 0, 0, Duration.ZERO));
                    continue;
                }
                ItemResult r = execute(item, deadline, context, watchdog);
                log.info("maintenance window '{}' run {}: {} {} {} {}: {}", window.name(), context.runId(),
                        r.result().label(), item.describeAction(), item.database(), item.target(),
                        r.result() == Result.DONE ? WindowReport.seconds(r.duration()) + "s, size "
                                + r.bytesBefore() + " -> " + r.bytesAfter() + " bytes" : r.detail());
                out.add(r);
                if (r.detail().startsWith(WINDOW_END)) {
                    stop.set(WINDOW_END + " at " + deadline);
                } else if (context.isCancelled()) {
                    stop.set("cancelled");
                }
            }
        } finally {
            watchdog.shutdownNow();
        }
        return out;
    }

    /** Why {@code item} must not start: cancelled, the window closed, or a guard holds until its end. */
    private Optional<String> stopReason(Plan.Item item, Instant deadline, JobContext context) {
        String paused = null;
        while (true) {
            if (context.isCancelled()) {
                return Optional.of("cancelled");
            }
            if (Duration.between(clock.instant(), deadline).compareTo(MIN_SLOT) < 0) {
                return Optional.of(paused != null ? "guard held until the window end: " + paused
                        : WINDOW_END + " at " + deadline);
            }
            Optional<String> guard;
            try {
                guard = guards.check(sessions.get(item.database()));
            } catch (SQLException e) {
                sessions.discard(item.database());
                return Optional.of("unable to check the guards in database '" + item.database() + "': "
                        + describe(e));
            }
            if (guard.isEmpty()) {
                return Optional.empty();
            }
            Duration recheck = window.guards().recheckInterval();
            if (clock.instant().plus(recheck).isAfter(deadline)) {
                return Optional.of("guard held until the window end: " + guard.get());
            }
            log.info("maintenance window '{}' run {} paused for {}: {}", window.name(), context.runId(), recheck,
                    guard.get());
            paused = guard.get();
            try {
                Thread.sleep(recheck.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return Optional.of("cancelled");
            }
        }
    }

    private ItemResult execute(Plan.Item item, Instant deadline, JobContext context,
            ScheduledExecutorService watchdog) {
        Instant begin = clock.instant();
        long before = 0;
        Connection c;
        try {
            c = sessions.get(item.database());
            before = size(c, item);
        } catch (SQLException e) {
            sessions.discard(item.database());
            return new ItemResult(item, Result.FAILED, describe(e), before, before, Duration.ZERO);
        }
        try (Statement st = c.createStatement()) {
            st.execute("SET lock_timeout = '" + window.lockTimeout().toMillis() + "ms'");
            long left = Duration.between(clock.instant(), deadline).toMillis();
            if (left < MIN_SLOT.toMillis()) {
                return new ItemResult(item, Result.DEFERRED, WINDOW_END + " at " + deadline, before, before,
                        Duration.ZERO);
            }
            st.execute("SET statement_timeout = '" + left + "ms'");
            ScheduledFuture<?> dog = watchdog.scheduleWithFixedDelay(() -> {
                if (context.isCancelled() || clock.instant().isAfter(deadline.plus(CANCEL_GRACE))) {
                    try {
                        st.cancel();
                    } catch (SQLException e) {
                        log.warn("unable to cancel '{}': {}", item.sql(), e.getMessage());
                    }
                }
            }, 100, 100, TimeUnit.MILLISECONDS);
            try {
                if (item.aggressive()) {
                    st.execute("SET vacuum_freeze_table_age = 0");
                }
                st.execute(item.sql());
            } finally {
                dog.cancel(false);
                if (item.aggressive()) {
                    resetQuietly(st, "vacuum_freeze_table_age");
                }
            }
            Duration took = Duration.between(begin, clock.instant());
            return new ItemResult(item, Result.DONE, "", before, size(c, item), took);
        } catch (SQLException e) {
            Duration took = Duration.between(begin, clock.instant());
            return failed(item, e, before, took, deadline, context);
        } finally {
            // Interrupted by a cancellation while the statement ran: the flag is the job's to act on.
            Thread.interrupted();
        }
    }

    private ItemResult failed(Plan.Item item, SQLException e, long before, Duration took, Instant deadline,
            JobContext context) {
        String state = e.getSQLState() == null ? "" : e.getSQLState();
        String leftover = item.action() == Plan.Action.REINDEX ? "; an invalid '" + item.name()
                + "_ccnew' index may remain, which the next window with the 'reindex' action drops" : "";
        switch (state) {
            case "55P03":
                return new ItemResult(item, Result.SKIPPED, "lock not granted within lock-timeout "
                        + window.lockTimeout().toMillis() + "ms; never queued behind the application" + leftover,
                        before, before, took);
            case "57014":
                if (context.isCancelled()) {
                    return new ItemResult(item, Result.DEFERRED, "cancelled while running after "
                            + WindowReport.seconds(took) + "s" + leftover, before, before, took);
                }
                if (!clock.instant().plus(MIN_SLOT).isBefore(deadline)) {
                    return new ItemResult(item, Result.SKIPPED, WINDOW_END + ": cancelled after "
                            + WindowReport.seconds(took) + "s when the window closed" + leftover, before, before,
                            took);
                }
                return new ItemResult(item, Result.FAILED, "cancelled by someone else (SQLSTATE 57014)" + leftover,
                        before, before, took);
            case "42P01", "42704":
                return new ItemResult(item, Result.SKIPPED, "no longer exists", before, before, took);
            default:
                if (state.startsWith("08")) {
                    sessions.discard(item.database());
                }
                return new ItemResult(item, Result.FAILED, describe(e) + leftover, before, before, took);
        }
    }

    private static void resetQuietly(Statement st, String setting) {
        try {
            st.execute("RESET " + setting);
        } catch (SQLException e) {
            // A broken session is discarded by the caller; a working one cannot fail a RESET.
            log.debug("RESET {} failed: {}", setting, e.getMessage());
        }
    }

    /** The relation's size now: a table with its TOAST and indexes, or an index; 0 when it is gone. */
    private static long size(Connection c, Plan.Item item) throws SQLException {
        String function = item.action() == Plan.Action.REINDEX || item.action() == Plan.Action.DROP_INDEX
                ? "pg_relation_size" : "pg_total_relation_size";
        // By name, not oid: REINDEX CONCURRENTLY gives the rebuilt index a new oid under the old name.
        try (PreparedStatement ps = c.prepareStatement("SELECT coalesce(" + function + "(to_regclass(?)), 0)")) {
            ps.setString(1, Plan.quote(item.schema()) + "." + Plan.quote(item.name()));
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }

    static String describe(SQLException e) {
        return (e.getSQLState() == null ? "" : "SQLSTATE " + e.getSQLState() + ": ") + e.getMessage();
    }
}
