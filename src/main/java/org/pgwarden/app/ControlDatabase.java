package org.pgwarden.app;

import java.util.List;
import java.util.Map;
import org.pgwarden.adapter.jdbc.JdbcJobHistory;
import org.pgwarden.common.PgwardenException;
import org.pgwarden.config.PgwardenConfig;
import org.pgwarden.job.JobHistory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Connects the job history to the control database when {@code control-database} is configured:
 * migrates its schema with Flyway at start and reads the recent runs back. The control database
 * is history, never needed to run a job: when it is down at start, the daemon starts anyway, logs
 * it, and the store migrates before its first successful write.
 */
final class ControlDatabase {
    private static final Logger log = LoggerFactory.getLogger(ControlDatabase.class);

    private ControlDatabase() {
    }

    /** @param toClose gets the history, closed on stop after jobs ended (flushes queued writes) */
    static void attach(PgwardenConfig config, JobHistory history, Map<String, String> environment,
            List<AutoCloseable> toClose) {
        if (config.controlDatabase().isEmpty()) {
            return;
        }
        JdbcJobHistory store = JdbcJobHistory.open(config.controlDatabase().get(), config.stanza(), environment);
        try {
            store.migrate();
            history.preload(store.recent(JobHistory.DEFAULT_CAPACITY));
        } catch (PgwardenException e) {
            log.error("job history not available from the control database yet: [{}] {}; runs are kept in memory"
                    + " and written once it answers", e.errorCode().id(), e.describe());
        }
        history.persistTo(store);
        toClose.add(history);
    }
}
