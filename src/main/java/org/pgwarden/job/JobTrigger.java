package org.pgwarden.job;

import java.util.Locale;

/** Who started a run. */
public enum JobTrigger {
    SCHEDULE, API, CLI, STARTUP;

    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}
