package org.pgwarden.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Instant;
import org.pgwarden.common.ErrorCode;
import org.pgwarden.job.Job;
import org.pgwarden.job.JobGate;
import org.pgwarden.job.JobResult;
import org.pgwarden.job.JobTrigger;
import org.pgwarden.metrics.Metrics;
import org.pgwarden.restore.RestoreJob;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** While the stop file exists every new run is skipped, except the restores operators hand over. */
class DaemonPauseTest {
    @TempDir
    Path dir;

    @Test
    void aPauseSkipsBackupsButNotARestoreHandedOverByTheCommand() {
        StopFile file = new StopFile(dir.resolve("pgwarden.stop"));
        DaemonPause pause = new DaemonPause(file, Metrics.noop());
        Job backup = new Job() {
            @Override
            public String kind() {
                return "backup-full";
            }

            @Override
            public JobResult run(org.pgwarden.job.JobContext context) {
                return JobResult.of("done");
            }
        };
        RestoreJob restore = new RestoreJob(null, null);

        assertThat(pause.refusal(backup, JobTrigger.API)).isEmpty();
        file.create("point-in-time restore", Instant.parse("2026-11-24T13:00:00Z"), "ops");

        assertThat(pause.refusal(backup, JobTrigger.API)).hasValueSatisfying((JobGate.Refusal r) -> {
            assertThat(r.code()).isEqualTo(ErrorCode.PAUSED);
            assertThat(r.reason()).contains("paused", "point-in-time restore");
        });
        assertThat(pause.refusal(restore, JobTrigger.API)).isEmpty();
    }
}
