package org.pgwarden.app;

import java.util.Optional;
import org.pgwarden.app.check.HealthCheckJob;
import org.pgwarden.common.ErrorCode;
import org.pgwarden.job.Job;
import org.pgwarden.job.JobGate;
import org.pgwarden.job.JobTrigger;
import org.pgwarden.metrics.MeterNames;
import org.pgwarden.metrics.Metrics;
import org.pgwarden.restore.RestoreJob;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The daemon's view of the stop file: a {@link JobGate} that skips every new run while the file
 * exists (running ones finish), the {@code pgwarden_daemon_paused} gauge and one log line per
 * change. The file is read whenever a run is about to start and on every scrape of /metrics or
 * /health, so no watcher thread is needed. Health checks still run (readiness must stay true),
 * restores handed over by {@code pgwarden restore} still run (an operator restores during the very
 * maintenance a pause is for, and the command in its own process ignores the pause too), and WAL
 * archiving is not a job: it never pauses, or PostgreSQL would fill pg_wal.
 */
final class DaemonPause implements JobGate {
    private static final Logger log = LoggerFactory.getLogger(DaemonPause.class);

    private final StopFile file;
    private final Metrics metrics;
    private Optional<StopFile.Pause> last = Optional.empty();
    private boolean known;

    DaemonPause(StopFile file, Metrics metrics) {
        this.file = file;
        this.metrics = metrics;
    }

    /** Reads the stop file, updates the gauge and logs a change since the last look. */
    synchronized Optional<StopFile.Pause> check() {
        Optional<StopFile.Pause> now = file.read();
        metrics.set(MeterNames.DAEMON_PAUSED, now.isPresent() ? 1 : 0);
        if (!known || now.isPresent() != last.isPresent()) {
            if (now.isPresent()) {
                log.warn("daemon paused ({}): new jobs are skipped until 'pgwarden resume' removes '{}'",
                        now.get().describe(), file.path());
            } else if (known) {
                log.info("daemon resumed: '{}' is gone; scheduled jobs run again", file.path());
            }
        }
        known = true;
        last = now;
        return now;
    }

    @Override
    public Optional<Refusal> refusal(Job job, JobTrigger trigger) {
        Optional<StopFile.Pause> p = check();
        if (p.isEmpty() || job instanceof HealthCheckJob || job instanceof RestoreJob) {
            return Optional.empty();
        }
        return Optional.of(new Refusal(ErrorCode.PAUSED, "paused: " + p.get().describe()));
    }
}
