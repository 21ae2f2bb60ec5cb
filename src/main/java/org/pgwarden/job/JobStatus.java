package org.pgwarden.job;

import java.util.Locale;

public enum JobStatus {
    SUCCEEDED, FAILED, CANCELLED, SKIPPED;

    /** The label value used in metrics and logs. */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}
