package org.pgwarden.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;
import org.pgwarden.adapter.quartz.QuartzCronValidator;
import org.pgwarden.common.ErrorCode;
import org.pgwarden.common.PgwardenException;
import org.pgwarden.config.ConfigLoader;
import org.pgwarden.config.PgwardenConfig;
import org.pgwarden.job.Job;
import org.pgwarden.job.JobOutcome;
import org.pgwarden.job.JobResult;
import org.pgwarden.job.JobRunner;
import org.pgwarden.job.JobStatus;
import org.pgwarden.job.JobTrigger;
import org.pgwarden.metrics.MeterNames;
import org.pgwarden.testing.BackupSetup;
import org.pgwarden.testing.CliRun;
import org.pgwarden.testing.RecordingMetrics;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The daemon's {@code drill} job kind: it runs through the job runner with metrics, two drills
 * never run at once, and a drill never holds the lock backups take.
 */
class DrillJobIT {
    @TempDir
    static Path dir;
    private static BackupSetup setup;
    private static Path scratch;
    private static Components components;
    private static final RecordingMetrics metrics = new RecordingMetrics();
    private static DaemonJobs jobs;
    private static JobRunner runner;

    @BeforeAll
    static void start() throws Exception {
        scratch = dir.resolve("scratch");
        setup = BackupSetup.start(dir, Map.of(), "drill:\n  scratch-directory: " + scratch + "\n  timeout: 5m\n");
        setup.pg().sql("CREATE TABLE t AS SELECT generate_series(1, 1000) AS id", "CREATE INDEX ON t (id)");
        assertThat(setup.cli("stanza-create").exitCode()).isZero();
        CliRun full = setup.cli("backup", "--type", "full");
        assertThat(full.exitCode()).as(full.all()).isZero();
        PgwardenConfig config = new ConfigLoader(new QuartzCronValidator()).load(setup.config()).config();
        components = Components.open(config, Map.of(), metrics);
        Clock clock = Clock.systemUTC();
        RepositoryAccess repo = RepositoryAccess.open(config, components, clock);
        runner = new JobRunner("test", clock, metrics);
        jobs = DaemonJobs.standard(config, components, repo, runner, metrics, clock);
    }

    @AfterAll
    static void stop() {
        components.close();
        setup.close();
    }

    @Test
    void aDrillRunsAloneAndNeverHoldsTheBackupLock() throws Exception {
        CompletableFuture<JobOutcome> first = CompletableFuture.supplyAsync(
                () -> jobs.run(jobs.create("drill", Map.of()), JobTrigger.API, Duration.ZERO));
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (!scratchInUse()) {
            assertThat(first).as("drill still running").isNotDone();
            assertThat(System.nanoTime()).as("drill made its scratch cluster in time").isLessThan(deadline);
            Thread.sleep(50);
        }

        JobOutcome second = jobs.run(jobs.create("drill", Map.of("set", "latest")), JobTrigger.API, Duration.ZERO);
        JobOutcome backupLocked = jobs.run(new Job() {
            @Override
            public String kind() {
                return "backup-probe";
            }

            @Override
            public String lockName() {
                return "backup";
            }

            @Override
            public JobResult run(org.pgwarden.job.JobContext context) {
                return JobResult.of("took the backup lock");
            }
        }, JobTrigger.API, Duration.ZERO);
        JobOutcome outcome = first.get();

        assertThat(second.status()).as(second.message()).isEqualTo(JobStatus.SKIPPED);
        assertThat(second.errorCode()).contains(ErrorCode.LOCK_HELD);
        assertThat(backupLocked.status()).as("the backup lock is free while a drill runs")
                .isEqualTo(JobStatus.SUCCEEDED);
        assertThat(outcome.status()).as(outcome.message()).isEqualTo(JobStatus.SUCCEEDED);
        assertThat(outcome.message()).contains("drill of backup ").contains(" passed ").contains("RTO ");
        assertThat(metrics.gauge(MeterNames.DRILL_LAST_SUCCESS)).isNotNull();
        assertThat(metrics.gauge(MeterNames.DRILL_RTO, "phase", "total")).isPositive();
        assertThat(metrics.gauge(MeterNames.DRILL_CHECKS_FAILED)).isZero();
        assertThat(scratchInUse()).isFalse();
    }

    @Test
    void aDrillCancelledByShutdownStillStopsAndDeletesItsScratchServer() throws Exception {
        CompletableFuture<JobOutcome> drill = CompletableFuture.supplyAsync(
                () -> jobs.run(jobs.create("drill", Map.of()), JobTrigger.SCHEDULE, Duration.ZERO));
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (!serverStarted()) {
            assertThat(drill).as("drill still running").isNotDone();
            assertThat(System.nanoTime()).as("drill started its scratch server in time").isLessThan(deadline);
            Thread.sleep(20);
        }

        // what the daemon's shutdown does: cancel, which also interrupts the drill's thread
        runner.cancelAll("daemon shutting down");
        JobOutcome outcome = drill.get();

        assertThat(outcome.status()).as(outcome.message()).isEqualTo(JobStatus.CANCELLED);
        assertThat(scratchInUse()).as("scratch cluster removed although the thread was interrupted").isFalse();
        assertThat(ProcessHandle.allProcesses().map(p -> p.info().commandLine().orElse(""))
                .filter(c -> c.contains(scratch.toString())).toList()).isEmpty();
    }

    /** A scratch server's postmaster.pid exists: the drill restored and started it. */
    private static boolean serverStarted() throws Exception {
        if (!Files.isDirectory(scratch)) {
            return false;
        }
        try (Stream<Path> s = Files.list(scratch)) {
            return s.anyMatch(d -> Files.isRegularFile(d.resolve("data").resolve("postmaster.pid")));
        }
    }

    @Test
    void badParametersAreRefusedNamingTheField() {
        assertThatThrownBy(() -> jobs.create("drill", Map.of("target-time", "yesterday")))
                .isInstanceOfSatisfying(PgwardenException.class, e -> assertThat(e.errorCode()).isEqualTo(ErrorCode.USAGE))
                .hasMessageContaining("parameter 'target-time' of job kind 'drill' must be an ISO-8601 time");
        assertThatThrownBy(() -> jobs.create("drill", Map.of("full", "true")))
                .hasMessage("unknown parameter(s) [full] for job kind 'drill'; valid: set, target-time");
    }

    private static boolean scratchInUse() throws Exception {
        if (!Files.isDirectory(scratch)) {
            return false;
        }
        try (Stream<Path> s = Files.list(scratch)) {
            return s.findAny().isPresent();
        }
    }
}
