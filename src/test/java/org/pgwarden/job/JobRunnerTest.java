package org.pgwarden.job;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.pgwarden.common.ErrorCode;
import org.pgwarden.common.PgwardenException;
import org.pgwarden.metrics.MeterNames;
import org.pgwarden.testing.LogCapture;
import org.pgwarden.testing.RecordingMetrics;
import org.junit.jupiter.api.Test;

class JobRunnerTest {
    private final RecordingMetrics metrics = new RecordingMetrics();
    private final Clock clock = Clock.fixed(Instant.parse("2026-11-24T02:00:00Z"), ZoneOffset.UTC);
    private final JobRunner runner = new JobRunner("main", clock, metrics);

    @FunctionalInterface
    private interface Body {
        JobResult run(JobContext context) throws Exception;
    }

    private static Job job(String kind, Body body) {
        return new Job() {
            @Override
            public String kind() {
                return kind;
            }

            @Override
            public JobResult run(JobContext context) throws Exception {
                return body.run(context);
            }
        };
    }

    @Test
    void successIsAMetricAndOneLogLineWithTheRunId() {
        try (LogCapture logs = LogCapture.of(JobRunner.class.getName())) {
            JobOutcome o = runner.run(job("demo", ctx -> new JobResult(42, "did it")), JobTrigger.CLI);
            assertThat(o.status()).isEqualTo(JobStatus.SUCCEEDED);
            assertThat(o.bytes()).isEqualTo(42);
            assertThat(metrics.counter(MeterNames.JOB_RUNS, "kind", "demo", "outcome", "succeeded")).isEqualTo(1.0);
            assertThat(metrics.gauge(MeterNames.JOB_LAST_SUCCESS, "kind", "demo"))
                    .isEqualTo(Instant.parse("2026-11-24T02:00:00Z").getEpochSecond());
            assertThat(logs.events()).filteredOn(e -> e.getFormattedMessage().startsWith("job finished")).singleElement()
                    .satisfies(e -> {
                        assertThat(e.getMDCPropertyMap()).containsEntry("job", "demo").containsEntry("runId", o.runId())
                                .containsEntry("stanza", "main");
                        assertThat(e.getFormattedMessage()).contains("outcome=succeeded").contains("bytes=42");
                    });
        }
    }

    @Test
    void anyThrowableBecomesAFailedOutcomeWithItsCode() {
        JobOutcome o = runner.run(job("boom", ctx -> {
            throw new PgwardenException(ErrorCode.REPO_UNREACHABLE, "bucket 'b' unreachable");
        }), JobTrigger.SCHEDULE);
        assertThat(o.status()).isEqualTo(JobStatus.FAILED);
        assertThat(o.errorCode()).contains(ErrorCode.REPO_UNREACHABLE);
        assertThat(o.message()).contains("bucket 'b' unreachable");
        assertThat(metrics.counter(MeterNames.JOB_RUNS, "kind", "boom", "outcome", "failed")).isEqualTo(1.0);

        JobOutcome err = runner.run(job("oom", ctx -> {
            throw new StackOverflowError();
        }), JobTrigger.SCHEDULE);
        assertThat(err.status()).isEqualTo(JobStatus.FAILED);
        assertThat(err.errorCode()).contains(ErrorCode.INTERNAL);
    }

    @Test
    void aBrokenJobObjectStillCannotEscapeTheBoundary() {
        Job broken = new Job() {
            @Override
            public String kind() {
                throw new IllegalStateException("no kind");
            }

            @Override
            public JobResult run(JobContext context) {
                return null;
            }
        };
        assertThat(runner.run(broken, JobTrigger.CLI).status()).isEqualTo(JobStatus.SUCCEEDED);
    }

    @Test
    void aRunThatFindsItsLockHeldIsSkippedVisibly() throws Exception {
        CountDownLatch started = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        Job slow = job("backup", ctx -> {
            started.countDown();
            release.await();
            return JobResult.of("ok");
        });
        CompletableFuture<JobOutcome> first = CompletableFuture.supplyAsync(() -> runner.run(slow, JobTrigger.SCHEDULE));
        assertThat(started.await(5, TimeUnit.SECONDS)).isTrue();
        JobOutcome second = runner.run(slow, JobTrigger.SCHEDULE);
        assertThat(second.status()).isEqualTo(JobStatus.SKIPPED);
        assertThat(second.errorCode()).contains(ErrorCode.LOCK_HELD);
        assertThat(second.message()).contains("lock 'backup' is held");
        assertThat(metrics.counter(MeterNames.JOB_RUNS, "kind", "backup", "outcome", "skipped")).isEqualTo(1.0);
        release.countDown();
        assertThat(first.get(5, TimeUnit.SECONDS).status()).isEqualTo(JobStatus.SUCCEEDED);
    }

    @Test
    void aClosedGateSkipsTheRunWithItsReasonAndCode() {
        runner.setGate((job, trigger) -> job.kind().equals("health-check") ? java.util.Optional.empty()
                : java.util.Optional.of(new JobGate.Refusal(ErrorCode.PAUSED, "paused: 'upgrade'")));
        boolean[] ran = {false};
        JobOutcome o = runner.run(job("backup-full", ctx -> {
            ran[0] = true;
            return JobResult.of("ok");
        }), JobTrigger.SCHEDULE);
        assertThat(ran[0]).isFalse();
        assertThat(o.status()).isEqualTo(JobStatus.SKIPPED);
        assertThat(o.errorCode()).contains(ErrorCode.PAUSED);
        assertThat(o.message()).isEqualTo("paused: 'upgrade'");
        assertThat(metrics.counter(MeterNames.JOB_RUNS, "kind", "backup-full", "outcome", "skipped")).isEqualTo(1.0);
        assertThat(runner.run(job("health-check", ctx -> JobResult.of("ok")), JobTrigger.SCHEDULE).status())
                .isEqualTo(JobStatus.SUCCEEDED);
    }

    @Test
    void aRunThatWaitedForItsLockAsksTheGateAgain() throws Exception {
        CountDownLatch started = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        java.util.concurrent.atomic.AtomicBoolean closed = new java.util.concurrent.atomic.AtomicBoolean();
        runner.setGate((job, trigger) -> closed.get()
                ? java.util.Optional.of(new JobGate.Refusal(ErrorCode.PAUSED, "paused")) : java.util.Optional.empty());
        Job slow = job("backup-full", ctx -> {
            started.countDown();
            release.await();
            return JobResult.of("ok");
        });
        CompletableFuture<JobOutcome> first = CompletableFuture.supplyAsync(() -> runner.run(slow, JobTrigger.SCHEDULE));
        assertThat(started.await(5, TimeUnit.SECONDS)).isTrue();
        CompletableFuture<JobOutcome> waiting = CompletableFuture.supplyAsync(
                () -> runner.run(job("backup-full", ctx -> JobResult.of("ran")), JobTrigger.SCHEDULE,
                        Duration.ofSeconds(10)));
        Thread.sleep(200);
        closed.set(true);
        release.countDown();
        assertThat(first.get(5, TimeUnit.SECONDS).status()).isEqualTo(JobStatus.SUCCEEDED);
        JobOutcome o = waiting.get(5, TimeUnit.SECONDS);
        assertThat(o.status()).isEqualTo(JobStatus.SKIPPED);
        assertThat(o.errorCode()).contains(ErrorCode.PAUSED);
    }

    @Test
    void cancellationInterruptsABlockedJobAndIsRecorded() throws Exception {
        CountDownLatch started = new CountDownLatch(1);
        Job blocked = job("blocked", ctx -> {
            started.countDown();
            new CountDownLatch(1).await();
            return JobResult.of("never");
        });
        CompletableFuture<JobOutcome> run = CompletableFuture.supplyAsync(() -> runner.run(blocked, JobTrigger.SCHEDULE));
        assertThat(started.await(5, TimeUnit.SECONDS)).isTrue();
        runner.refuseNewRuns("stopping");
        runner.cancelAll("test stop");
        assertThat(runner.awaitIdle(Duration.ofSeconds(5))).isTrue();
        JobOutcome o = run.get(5, TimeUnit.SECONDS);
        assertThat(o.status()).isEqualTo(JobStatus.CANCELLED);
        assertThat(runner.run(job("later", ctx -> JobResult.of("x")), JobTrigger.CLI).status())
                .isEqualTo(JobStatus.SKIPPED);
    }

    @Test
    void aRunUnderAnIdHandedOutEarlierKeepsItAndIsInTheHistory() {
        String id = runner.newRunId();
        JobOutcome o = runner.run(job("demo", ctx -> {
            assertThat(ctx.runId()).isEqualTo(id);
            return new JobResult(7, "done");
        }), JobTrigger.API, Duration.ZERO, id);
        assertThat(o.runId()).isEqualTo(id);
        assertThat(runner.history().find(id)).contains(o);
        assertThat(runner.history().recent()).first().isEqualTo(o);
    }

    @Test
    void aRunWaitingForItsLockIsVisibleStartsAfterTheHolderAndCountsItsStartFromThere() throws Exception {
        Clock real = Clock.systemUTC();
        JobRunner r = new JobRunner("main", real, metrics);
        CountDownLatch started = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        Job slow = job("backup", ctx -> {
            started.countDown();
            release.await();
            return JobResult.of("first");
        });
        CompletableFuture<JobOutcome> first = CompletableFuture.supplyAsync(() -> r.run(slow, JobTrigger.SCHEDULE));
        assertThat(started.await(5, TimeUnit.SECONDS)).isTrue();
        String id = r.newRunId();
        CompletableFuture<JobOutcome> second = CompletableFuture.supplyAsync(() ->
                r.run(job("backup", ctx -> JobResult.of("second")), JobTrigger.API, Duration.ofSeconds(10), id));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (r.waiting().stream().noneMatch(c -> c.runId().equals(id))) {
            assertThat(System.nanoTime()).isLessThan(deadline);
            Thread.sleep(5);
        }
        assertThat(r.waiting()).singleElement().satisfies(c -> assertThat(c.started()).isEmpty());
        Thread.sleep(50);
        release.countDown();
        JobOutcome a = first.get(5, TimeUnit.SECONDS);
        JobOutcome b = second.get(5, TimeUnit.SECONDS);
        assertThat(b.status()).isEqualTo(JobStatus.SUCCEEDED);
        assertThat(b.start()).isAfterOrEqualTo(a.end());
        assertThat(r.waiting()).isEmpty();
    }

    @Test
    void cancellingARunThatWaitsForItsLockEndsItAsCancelledAndItNeverStarts() throws Exception {
        CountDownLatch started = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        Job slow = job("backup", ctx -> {
            started.countDown();
            release.await();
            return JobResult.of("first");
        });
        CompletableFuture<JobOutcome> first = CompletableFuture.supplyAsync(() -> runner.run(slow, JobTrigger.SCHEDULE));
        assertThat(started.await(5, TimeUnit.SECONDS)).isTrue();
        boolean[] ran = {false};
        CompletableFuture<JobOutcome> second = CompletableFuture.supplyAsync(() -> runner.run(job("backup", ctx -> {
            ran[0] = true;
            return JobResult.of("second");
        }), JobTrigger.API, Duration.ofMinutes(5)));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (runner.waiting().isEmpty()) {
            assertThat(System.nanoTime()).isLessThan(deadline);
            Thread.sleep(5);
        }
        runner.refuseNewRuns("stopping");
        runner.cancelAll("test stop");
        JobOutcome waited = second.get(5, TimeUnit.SECONDS);
        assertThat(waited.status()).isEqualTo(JobStatus.CANCELLED);
        assertThat(waited.message()).contains("while waiting for lock 'backup'");
        assertThat(ran[0]).isFalse();
        release.countDown();
        assertThat(first.get(5, TimeUnit.SECONDS).status()).isEqualTo(JobStatus.CANCELLED);
    }

    @Test
    void aRunThatGetsItsLockAfterTheDaemonBeganStoppingDoesNotStart() throws Exception {
        JobRunner r = new JobRunner("main", Clock.systemUTC(), metrics);
        CountDownLatch started = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        CompletableFuture<JobOutcome> first = CompletableFuture.supplyAsync(() -> r.run(job("backup", ctx -> {
            started.countDown();
            release.await();
            return JobResult.of("first");
        }), JobTrigger.SCHEDULE));
        assertThat(started.await(5, TimeUnit.SECONDS)).isTrue();
        boolean[] ran = {false};
        CompletableFuture<JobOutcome> second = CompletableFuture.supplyAsync(() -> r.run(job("backup", ctx -> {
            ran[0] = true;
            return JobResult.of("second");
        }), JobTrigger.API, Duration.ofMinutes(5)));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (r.waiting().isEmpty()) {
            assertThat(System.nanoTime()).isLessThan(deadline);
            Thread.sleep(5);
        }
        r.refuseNewRuns("daemon is stopping");
        release.countDown();
        assertThat(first.get(5, TimeUnit.SECONDS).status()).isEqualTo(JobStatus.SUCCEEDED);
        JobOutcome o = second.get(5, TimeUnit.SECONDS);
        assertThat(o.status()).isEqualTo(JobStatus.SKIPPED);
        assertThat(o.message()).isEqualTo("not started: daemon is stopping");
        assertThat(ran[0]).isFalse();
    }

    @Test
    void runIdsSortByTime() {
        String a = JobRunner.newRunId(Instant.parse("2026-11-24T02:00:00Z"));
        String b = JobRunner.newRunId(Instant.parse("2026-11-24T02:00:01Z"));
        assertThat(a).startsWith("20261124T020000Z-");
        assertThat(a.compareTo(b)).isNegative();
    }
}
