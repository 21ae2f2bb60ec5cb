package org.pgwarden.adapter.quartz;

import java.text.ParseException;
import java.util.Optional;
import org.pgwarden.config.CronValidator;
import org.quartz.CronExpression;

/** Validates cron expressions with Quartz's own parser, so config and scheduler agree. */
public final class QuartzCronValidator implements CronValidator {
    @Override
    public Optional<String> problem(String expression) {
        try {
            new CronExpression(expression);
            return Optional.empty();
        } catch (ParseException e) {
            return Optional.of(e.getMessage());
        } catch (RuntimeException e) {
            return Optional.of(e.getClass().getSimpleName()
                    + (e.getMessage() == null ? "" : ": " + e.getMessage()));
        }
    }
}
