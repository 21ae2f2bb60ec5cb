package org.pgwarden.config;

import java.util.Optional;

/**
 * Checks a cron expression; supplied by the scheduler adapter so the config package does not
 * depend on Quartz. Returns a problem description, or empty when the expression is valid.
 */
@FunctionalInterface
public interface CronValidator {
    Optional<String> problem(String expression);
}
