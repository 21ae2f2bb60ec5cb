package org.pgwarden.audit;

import org.pgwarden.config.AuditRetentionConfig.Table;
import org.pgwarden.metrics.MeterNames;
import org.pgwarden.metrics.Metrics;

/** The audit-retention meters; the {@code table} tag is a configured table, so its cardinality is bounded by config. */
final class AuditMetrics {
    private final Metrics metrics;

    AuditMetrics(Metrics metrics) {
        this.metrics = metrics;
    }

    void archived(Table t, long rows) {
        metrics.increment(MeterNames.AUDIT_ROWS_ARCHIVED, rows, "table", t.table());
    }

    void deleted(Table t, long rows) {
        metrics.increment(MeterNames.AUDIT_ROWS_DELETED, rows, "table", t.table());
    }

    void archiveBytes(Table t, long bytes) {
        metrics.increment(MeterNames.AUDIT_ARCHIVE_BYTES, bytes, "table", t.table());
    }

    void partitionsDropped(Table t, int n) {
        metrics.increment(MeterNames.AUDIT_PARTITIONS_DROPPED, n, "table", t.table());
    }

    void oldestRowAge(Table t, double seconds) {
        metrics.set(MeterNames.AUDIT_OLDEST_ROW_AGE, seconds, "table", t.table());
    }

    void keep(Table t) {
        metrics.set(MeterNames.AUDIT_KEEP, t.keep().toSeconds(), "table", t.table());
    }

    void run(Table t, String outcome) {
        metrics.increment(MeterNames.AUDIT_RUNS, "table", t.table(), "outcome", outcome);
    }
}
