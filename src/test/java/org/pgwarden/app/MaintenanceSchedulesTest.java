package org.pgwarden.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;
import org.pgwarden.adapter.quartz.QuartzCronSchedule;
import org.pgwarden.job.CronSchedule;

class MaintenanceSchedulesTest {
    private final CronSchedule nightly = QuartzCronSchedule.of("0 0 2 * * ?", ZoneOffset.UTC);

    @Test
    void aLateFireKeepsTheScheduledStartSoTheWindowClosesOnTime() {
        Instant two = Instant.parse("2026-11-24T02:00:00Z");
        assertThat(MaintenanceSchedules.openedAt(nightly, Duration.ofHours(2), two)).hasValue(two);
        assertThat(MaintenanceSchedules.openedAt(nightly, Duration.ofHours(2), two.plusSeconds(1))).hasValue(two);
        assertThat(MaintenanceSchedules.openedAt(nightly, Duration.ofHours(2), Instant.parse("2026-11-24T03:59:59Z")))
                .hasValue(two);
    }

    @Test
    void aFireAfterTheWindowClosedFindsNoOpenWindow() {
        assertThat(MaintenanceSchedules.openedAt(nightly, Duration.ofHours(2), Instant.parse("2026-11-24T04:00:01Z")))
                .isEmpty();
        assertThat(MaintenanceSchedules.openedAt(nightly, Duration.ofHours(2), Instant.parse("2026-11-24T01:59:59Z")))
                .isEmpty();
    }

    @Test
    void withOverlappingStartsTheLatestCounts() {
        CronSchedule hourly = QuartzCronSchedule.of("0 0 * * * ?", ZoneOffset.UTC);
        assertThat(MaintenanceSchedules.openedAt(hourly, Duration.ofHours(3), Instant.parse("2026-11-24T05:30:00Z")))
                .hasValue(Instant.parse("2026-11-24T05:00:00Z"));
    }
}
