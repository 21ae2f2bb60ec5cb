package org.pgwarden.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.pgwarden.adapter.quartz.QuartzCronSchedule;
import org.pgwarden.config.SchedulesConfig;
import org.pgwarden.config.SchedulesConfig.CatchUpPolicy;
import org.pgwarden.config.SchedulesConfig.OnOverlap;
import org.pgwarden.config.SchedulesConfig.Schedule;
import org.pgwarden.config.SchedulesConfig.Task;
import org.pgwarden.job.CronSchedule;
import org.pgwarden.metrics.MeterNames;
import org.pgwarden.testing.RecordingMetrics;

class BackupAgeLimitsTest {
    private static final Instant NOW = Instant.parse("2026-11-24T10:17:00Z");

    private static Duration limit(String... crons) {
        List<CronSchedule> schedules = Stream.of(crons)
                .map(c -> (CronSchedule) QuartzCronSchedule.of(c, ZoneId.of("UTC"))).toList();
        return BackupAgeLimits.limit(schedules, NOW).orElseThrow();
    }

    @Test
    void aDailyBackupMayBe26HoursOld() {
        assertThat(limit("0 0 2 * * ?")).isEqualTo(Duration.ofHours(26));
    }

    @Test
    void aWeeklyFullMayBeSevenDaysAndATwelfthOld() {
        assertThat(limit("0 0 2 ? * SUN")).isEqualTo(Duration.ofDays(7).plusHours(14));
    }

    @Test
    void schedulesTogetherCountEveryFireAndUnevenGapsCountTheLongest() {
        // A weekly full on Sunday and a differential on the other days: one backup every day.
        assertThat(limit("0 0 2 ? * SUN", "0 0 2 ? * MON-SAT")).isEqualTo(Duration.ofHours(26));
        // Hourly on weekdays only: the weekend, Friday 20:00 to Monday 08:00, is the longest gap.
        assertThat(limit("0 0 8-20 ? * MON-FRI")).isEqualTo(Duration.ofHours(60 + 5));
    }

    @Test
    void theDaemonPublishesTheLimitsOfItsBackupSchedules() {
        Map<Task, Schedule> jobs = new EnumMap<>(Task.class);
        jobs.put(Task.FULL, new Schedule(Task.FULL, "0 0 2 ? * SUN", OnOverlap.SKIP, Duration.ofHours(1)));
        jobs.put(Task.DIFF, new Schedule(Task.DIFF, "0 0 2 ? * MON-SAT", OnOverlap.SKIP, Duration.ofHours(1)));
        jobs.put(Task.VERIFY, new Schedule(Task.VERIFY, "0 0 * * * ?", OnOverlap.SKIP, Duration.ofHours(1)));
        RecordingMetrics metrics = new RecordingMetrics();
        new ScheduledRuns(new SchedulesConfig(ZoneId.of("UTC"), Optional.empty(), CatchUpPolicy.ONCE, jobs), null,
                null, metrics, null, null).publishBackupAgeLimits(NOW);
        // Verify's hourly fires are not backups: they do not shorten the limit.
        assertThat(metrics.gauge(MeterNames.BACKUP_MAX_AGE, "type", "any")).isEqualTo(26 * 3600.0);
        assertThat(metrics.gauge(MeterNames.BACKUP_MAX_AGE, "type", "full")).isEqualTo((7 * 24 + 14) * 3600.0);

        RecordingMetrics none = new RecordingMetrics();
        new ScheduledRuns(new SchedulesConfig(ZoneId.of("UTC"), Optional.empty(), CatchUpPolicy.ONCE, Map.of()), null,
                null, none, null, null).publishBackupAgeLimits(NOW);
        assertThat(none.gauge(MeterNames.BACKUP_MAX_AGE, "type", "any")).isNull();
    }

    @Test
    void frequentSchedulesKeepTwoHoursOfSlackAndNoScheduleGivesNoLimit() {
        assertThat(limit("0 0/5 * * * ?")).isEqualTo(Duration.ofMinutes(5).plusHours(2));
        assertThat(BackupAgeLimits.limit(List.of(), NOW)).isEmpty();
        assertThat(BackupAgeLimits.limit(List.of(t -> java.util.Optional.empty()), NOW)).isEmpty();
    }
}
