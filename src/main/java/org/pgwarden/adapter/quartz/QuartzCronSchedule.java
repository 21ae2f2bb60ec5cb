package org.pgwarden.adapter.quartz;

import java.text.ParseException;
import java.time.Instant;
import java.time.ZoneId;
import java.util.Date;
import java.util.Optional;
import java.util.TimeZone;
import org.pgwarden.common.ErrorCode;
import org.pgwarden.common.PgwardenException;
import org.pgwarden.job.CronSchedule;
import org.quartz.CronExpression;

/** {@link CronSchedule} on Quartz's own parser, so catch-up and the scheduler agree on every fire. */
public final class QuartzCronSchedule implements CronSchedule {
    private final CronExpression expression;

    private QuartzCronSchedule(CronExpression expression) {
        this.expression = expression;
    }

    public static QuartzCronSchedule of(String cron, ZoneId zone) {
        try {
            CronExpression e = new CronExpression(cron);
            e.setTimeZone(TimeZone.getTimeZone(zone));
            return new QuartzCronSchedule(e);
        } catch (ParseException e) {
            throw new PgwardenException(ErrorCode.CONFIG_INVALID, "invalid cron expression '" + cron + "': "
                    + e.getMessage(), e);
        }
    }

    @Override
    public synchronized Optional<Instant> nextAfter(Instant time) {
        // CronExpression keeps parsing state per call and is not safe for concurrent use.
        return Optional.ofNullable(expression.getTimeAfter(Date.from(time))).map(Date::toInstant);
    }
}
