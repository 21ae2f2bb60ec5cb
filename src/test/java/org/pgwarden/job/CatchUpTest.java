package org.pgwarden.job;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.Optional;
import java.util.Random;
import org.pgwarden.adapter.quartz.QuartzCronSchedule;
import org.junit.jupiter.api.Test;

/** The catch-up decision with Quartz's own cron parser, as the daemon uses it. */
class CatchUpTest {
    private static final CronSchedule DAILY_2AM = QuartzCronSchedule.of("0 0 2 * * ?", ZoneOffset.UTC);

    private static Instant at(String t) {
        return Instant.parse(t);
    }

    @Test
    void aFireAfterTheLastSuccessIsMissedAndRunsOnce() {
        CatchUp.Decision d = CatchUp.decide(DAILY_2AM, Optional.of(at("2026-11-23T02:10:00Z")),
                at("2026-11-24T03:00:00Z"));
        assertThat(d.run()).isTrue();
        assertThat(d.missedFire()).contains(at("2026-11-24T02:00:00Z"));
        assertThat(d.reason()).contains("2026-11-24T02:00:00Z").contains("2026-11-23T02:10:00Z");
    }

    @Test
    void aSuccessAfterThePreviousFireMeansNothingWasMissed() {
        CatchUp.Decision d = CatchUp.decide(DAILY_2AM, Optional.of(at("2026-11-24T02:05:00Z")),
                at("2026-11-24T23:59:59Z"));
        assertThat(d.run()).isFalse();
        assertThat(d.missedFire()).isEmpty();
    }

    @Test
    void manyMissedFiresStillMeanOneRunNamingTheLatest() {
        CatchUp.Decision d = CatchUp.decide(DAILY_2AM, Optional.of(at("2026-11-01T02:30:00Z")),
                at("2026-11-24T03:00:00Z"));
        assertThat(d.run()).isTrue();
        assertThat(d.missedFire()).contains(at("2026-11-24T02:00:00Z"));
    }

    @Test
    void theFireItselfCountsUpToTheSecond() {
        assertThat(CatchUp.decide(DAILY_2AM, Optional.of(at("2026-11-23T03:00:00Z")), at("2026-11-24T02:00:00Z"))
                .missedFire()).contains(at("2026-11-24T02:00:00Z"));
        assertThat(CatchUp.decide(DAILY_2AM, Optional.of(at("2026-11-23T03:00:00Z")), at("2026-11-24T01:59:59Z"))
                .run()).isFalse();
        // A backup that ended a moment before the fire does not satisfy it.
        assertThat(CatchUp.decide(DAILY_2AM, Optional.of(at("2026-11-24T01:59:59.900Z")),
                at("2026-11-24T02:00:00Z")).run()).isTrue();
    }

    @Test
    void withNoSuccessEverAnyPastFireCounts() {
        CronSchedule yearly = QuartzCronSchedule.of("0 0 0 1 1 ?", ZoneOffset.UTC);
        CatchUp.Decision d = CatchUp.decide(yearly, Optional.empty(), at("2026-11-24T03:00:00Z"));
        assertThat(d.run()).isTrue();
        assertThat(d.missedFire()).contains(at("2026-01-01T00:00:00Z"));
        assertThat(d.reason()).contains("no success yet");
    }

    @Test
    void aScheduleThatNeverFiredYetHasNothingToCatchUp() {
        CronSchedule future = QuartzCronSchedule.of("0 0 0 1 1 ? 2099", ZoneOffset.UTC);
        assertThat(CatchUp.decide(future, Optional.empty(), at("2026-11-24T03:00:00Z")).run()).isFalse();
    }

    @Test
    void aLastSuccessInTheFutureIsNoReasonToRun() {
        assertThat(CatchUp.decide(DAILY_2AM, Optional.of(at("2026-11-25T05:00:00Z")), at("2026-11-24T03:00:00Z"))
                .run()).isFalse();
    }

    @Test
    void theScheduleTimeZoneDecidesWhenTheFireWas() {
        CronSchedule berlin = QuartzCronSchedule.of("0 0 2 * * ?", ZoneId.of("Europe/Berlin"));
        // 02:00 in Berlin in November is 01:00 UTC.
        CatchUp.Decision d = CatchUp.decide(berlin, Optional.of(at("2026-11-23T01:30:00Z")), at("2026-11-24T01:30:00Z"));
        assertThat(d.missedFire()).contains(at("2026-11-24T01:00:00Z"));
    }

    @Test
    void aFastScheduleDownForAWeekNeedsOnlyAFewCalls() {
        CronSchedule everySecond = QuartzCronSchedule.of("* * * * * ?", ZoneOffset.UTC);
        int[] calls = {0};
        CronSchedule counted = t -> {
            calls[0]++;
            return everySecond.nextAfter(t);
        };
        CatchUp.Decision d = CatchUp.decide(counted, Optional.of(at("2026-11-17T00:00:00Z")),
                at("2026-11-24T03:00:00.500Z"));
        assertThat(d.missedFire()).contains(at("2026-11-24T03:00:00Z"));
        assertThat(calls[0]).isLessThan(40);
    }

    /** The bisection agrees with walking every fire forward, over random crons, outages and zones. */
    @Test
    void latestFireAgreesWithWalkingForward() {
        String[] crons = {"0 0 2 * * ?", "0 */15 * * * ?", "0 30 1 ? * SUN", "0 0/7 * * * ?", "0 0 0 L * ?",
            "0 0 2 ? * MON-FRI", "0 15 10 15 * ?"};
        ZoneId[] zones = {ZoneOffset.UTC, ZoneId.of("Europe/Berlin"), ZoneId.of("America/New_York")};
        Random random = new Random(42);
        for (int i = 0; i < 200; i++) {
            CronSchedule cron = QuartzCronSchedule.of(crons[random.nextInt(crons.length)],
                    zones[random.nextInt(zones.length)]);
            Instant after = at("2026-01-01T00:00:00Z").plusMillis((long) (random.nextDouble() * 300L * 86_400_000L));
            Instant now = after.plusMillis((long) (random.nextDouble() * 10L * 86_400_000L));
            Optional<Instant> expected = Optional.empty();
            for (Optional<Instant> f = cron.nextAfter(after); f.isPresent() && !f.get().isAfter(now);
                    f = cron.nextAfter(f.get())) {
                expected = f;
            }
            assertThat(CatchUp.latestFire(cron, after, now)).as("after %s now %s", after, now).isEqualTo(expected);
        }
    }
}
