package org.pgwarden.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import org.pgwarden.common.ErrorCode;
import org.pgwarden.common.PgwardenException;
import org.pgwarden.config.SchedulesConfig.Task;
import org.pgwarden.job.Job;
import org.pgwarden.job.JobContext;
import org.pgwarden.job.JobResult;
import org.pgwarden.job.JobRunner;
import org.pgwarden.job.JobStatus;
import org.pgwarden.job.JobTrigger;
import org.pgwarden.metrics.Metrics;
import org.pgwarden.repo.BackupType;
import org.junit.jupiter.api.Test;

class DaemonJobsTest {
    private final JobRunner runner = new JobRunner("main", Clock.systemUTC(), Metrics.noop());
    private final List<String> ran = new CopyOnWriteArrayList<>();

    private Job job(String kind, boolean fail) {
        return new Job() {
            @Override
            public String kind() {
                return kind;
            }

            @Override
            public JobResult run(JobContext context) {
                ran.add(kind);
                if (fail) {
                    throw new PgwardenException(ErrorCode.REPO_UNREACHABLE, "down");
                }
                return JobResult.of(kind);
            }
        };
    }

    @Test
    void unknownKindsAndParametersAreRefusedNamingTheValidOnes() {
        DaemonJobs jobs = new DaemonJobs(runner).register("backup", p -> {
            DaemonJobs.Params.only("backup", p, "type");
            return job("backup-" + p.getOrDefault("type", "incr"), false);
        }).register("verify", p -> job("verify", false));
        assertThat(jobs.kinds()).containsExactly("backup", "verify");
        assertThatThrownBy(() -> jobs.create("drill", Map.of())).isInstanceOfSatisfying(PgwardenException.class,
                e -> {
                    assertThat(e.errorCode()).isEqualTo(ErrorCode.USAGE);
                    assertThat(e.getMessage()).isEqualTo("unknown job kind 'drill'; valid kinds: backup, verify");
                });
        assertThatThrownBy(() -> jobs.create("backup", Map.of("tpye", "full")))
                .hasMessage("unknown parameter(s) [tpye] for job kind 'backup'; valid: type");
        assertThat(jobs.forSchedule(Task.DIFF).kind()).isEqualTo("backup-diff");
        assertThatThrownBy(() -> jobs.forSchedule(Task.EXPIRE)).hasMessageContaining("unknown job kind 'expire'");
        assertThatThrownBy(() -> jobs.runAfterEachBackup("expire")).hasMessageContaining("no job of that kind");
    }

    @Test
    void theFollowUpRunsOnlyAfterASuccessfulBackup() {
        DaemonJobs jobs = new DaemonJobs(runner).register("expire", p -> job("expire", false))
                .runAfterEachBackup("expire");
        // Not a backup: nothing follows.
        jobs.run(job("verify", false), JobTrigger.API, Duration.ZERO);
        assertThat(ran).containsExactly("verify");
    }

    @Test
    void aScheduleIsSatisfiedByABackupAtLeastAsComplete() {
        Map<BackupType, Instant> newest = new EnumMap<>(BackupType.class);
        newest.put(BackupType.FULL, Instant.parse("2026-11-22T02:00:00Z"));
        newest.put(BackupType.DIFF, Instant.parse("2026-11-23T02:00:00Z"));
        newest.put(BackupType.INCR, Instant.parse("2026-11-24T02:00:00Z"));
        assertThat(ScheduledRuns.lastSuccess(Task.FULL, newest)).contains(Instant.parse("2026-11-22T02:00:00Z"));
        assertThat(ScheduledRuns.lastSuccess(Task.DIFF, newest)).contains(Instant.parse("2026-11-23T02:00:00Z"));
        assertThat(ScheduledRuns.lastSuccess(Task.INCR, newest)).contains(Instant.parse("2026-11-24T02:00:00Z"));
        newest.put(BackupType.FULL, Instant.parse("2026-11-24T05:00:00Z"));
        assertThat(ScheduledRuns.lastSuccess(Task.INCR, newest)).contains(Instant.parse("2026-11-24T05:00:00Z"));
        assertThat(ScheduledRuns.lastSuccess(Task.DIFF, Map.of())).isEqualTo(Optional.empty());
    }

    @Test
    void aFailedBackupIsNotFollowedByExpire() {
        DaemonJobs jobs = new DaemonJobs(runner).register("expire", p -> job("expire", false))
                .runAfterEachBackup("expire");
        // A backup with no repository behind it fails at its first step.
        org.pgwarden.backup.BackupJob broken = new org.pgwarden.backup.BackupJob(new org.pgwarden.backup.Backup(null,
                null, null, null, null, null, Clock.systemUTC(), Metrics.noop()),
                new org.pgwarden.backup.Backup.Request(BackupType.FULL, Map.of()));
        assertThat(jobs.run(broken, JobTrigger.SCHEDULE, Duration.ZERO).status()).isEqualTo(JobStatus.FAILED);
        assertThat(ran).isEmpty();
    }
}
