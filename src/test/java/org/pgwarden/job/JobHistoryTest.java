package org.pgwarden.job;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.pgwarden.common.ErrorCode;
import org.pgwarden.common.PgwardenException;
import org.pgwarden.metrics.MeterNames;
import org.pgwarden.testing.LogCapture;
import org.pgwarden.testing.RecordingMetrics;
import org.junit.jupiter.api.Test;

class JobHistoryTest {
    private final RecordingMetrics metrics = new RecordingMetrics();

    private static JobOutcome outcome(String id, int second) {
        Instant t = Instant.parse("2026-11-24T02:00:00Z").plusSeconds(second);
        return new JobOutcome(id, "backup-full", JobTrigger.API, JobStatus.SUCCEEDED, t, t.plusSeconds(1),
                Optional.empty(), "ok", 10);
    }

    /** A store that keeps runs in a map, or fails every call when {@code down}. */
    private static final class MapStore implements JobHistoryStore {
        final Map<String, JobOutcome> rows = new ConcurrentHashMap<>();
        volatile boolean down;
        volatile boolean closed;

        @Override
        public void save(JobOutcome o) {
            check();
            rows.putIfAbsent(o.runId(), o);
        }

        @Override
        public Optional<JobOutcome> find(String runId) {
            check();
            return Optional.ofNullable(rows.get(runId));
        }

        @Override
        public List<JobOutcome> recent(int limit) {
            check();
            return new ArrayList<>(rows.values());
        }

        private void check() {
            if (down) {
                throw new PgwardenException(ErrorCode.CONTROL_DB_FAILED, "control database 'x' is down");
            }
        }

        @Override
        public void close() {
            closed = true;
        }
    }

    @Test
    void memoryKeepsTheNewestRunsUpToItsCapacityNewestFirst() {
        JobHistory h = new JobHistory(3, metrics);
        for (int i = 0; i < 5; i++) {
            h.record(outcome("run-" + i, i));
        }
        assertThat(h.recent()).extracting(JobOutcome::runId).containsExactly("run-4", "run-3", "run-2");
        assertThat(h.find("run-0")).isEmpty();
        assertThat(h.find("run-3")).isPresent();
    }

    @Test
    void runsAreWrittenToTheStoreAndOlderOnesAreFoundThere() {
        JobHistory h = new JobHistory(1, metrics);
        MapStore store = new MapStore();
        h.persistTo(store);
        h.record(outcome("a", 1));
        h.record(outcome("b", 2));
        h.close(Duration.ofSeconds(5));
        assertThat(store.rows).containsOnlyKeys("a", "b");
        assertThat(store.closed).isTrue();
        assertThat(h.find("a")).map(JobOutcome::runId).contains("a");
    }

    @Test
    void aStoreThatIsDownNeitherLosesTheRunInMemoryNorThrowsAndIsCounted() {
        JobHistory h = new JobHistory(10, metrics);
        MapStore store = new MapStore();
        store.down = true;
        h.persistTo(store);
        try (LogCapture logs = LogCapture.of(JobHistory.class.getName())) {
            h.record(outcome("a", 1));
            h.close(Duration.ofSeconds(5));
            assertThat(logs.lines()).anySatisfy(l -> assertThat(l).contains("unable to store job run a")
                    .contains("control database 'x' is down"));
        }
        assertThat(metrics.counter(MeterNames.JOB_HISTORY_WRITE_FAILURES)).isEqualTo(1.0);
        assertThat(h.recent()).extracting(JobOutcome::runId).containsExactly("a");
        assertThat(h.find("missing")).isEmpty();
    }

    @Test
    void preloadedRunsComeBeforeNewOnes() {
        JobHistory h = new JobHistory(10, metrics);
        h.record(outcome("new", 10));
        h.preload(List.of(outcome("old2", 2), outcome("old1", 1)));
        assertThat(h.recent()).extracting(JobOutcome::runId).containsExactly("new", "old2", "old1");
    }

    @Test
    void aFollowerWaitingForARunLearnsItsEndWhenItIsRecordedAndOtherwiseAtItsLimit() throws Exception {
        JobHistory h = new JobHistory(10, metrics);
        Thread recorder = new Thread(() -> {
            try {
                Thread.sleep(200);
            } catch (InterruptedException ignored) {
                // recorded at once then
            }
            h.record(outcome("late", 1));
        });
        long started = System.nanoTime();
        recorder.start();
        // the limit is far away: only the record ends the wait
        assertThat(h.awaitRecent("late", Duration.ofSeconds(20))).map(JobOutcome::runId).contains("late");
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(10));
        recorder.join();

        h.record(outcome("other", 2));
        assertThat(h.awaitRecent("never", Duration.ofMillis(50))).isEmpty();
        assertThat(h.awaitRecent("other", Duration.ZERO)).map(JobOutcome::runId).contains("other");
    }
}
