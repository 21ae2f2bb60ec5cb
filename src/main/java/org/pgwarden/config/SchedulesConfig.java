package org.pgwarden.config;

import java.time.ZoneId;
import java.util.Optional;

/**
 * When the daemon runs its jobs. Expressions are <b>Quartz cron with a leading seconds field</b>:
 * {@code 0 0 2 * * ?} is 02:00 every day. A 5-field crontab line is refused with its 6-field form.
 *
 * @param healthCheck how often the readiness checks (PostgreSQL, repository, key) run in the daemon
 */
public record SchedulesConfig(ZoneId timezone, Optional<String> healthCheck) {

    static SchedulesConfig bind(ConfigNode n) {
        ZoneId zone = n.zone("timezone", ZoneId.of("UTC"));
        Optional<String> health = n.has("health-check") ? n.cron("health-check") : Optional.of("0 * * * * ?");
        if (!n.has("health-check")) {
            n.string("health-check", health.get());
        }
        n.done();
        return new SchedulesConfig(zone, health);
    }
}
