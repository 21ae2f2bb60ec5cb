package org.pgwarden.common;

/**
 * A resolved secret value. {@code toString} never reveals it, so a secret that slips into a log
 * line, an exception message or a record's printed form shows as a mask.
 */
public final class Secret {
    public static final String MASK = "******";
    private final String value;

    public Secret(String value) {
        this.value = value;
    }

    /** The clear value; call only where it is handed to the library that needs it. */
    public String reveal() {
        return value;
    }

    @Override
    public String toString() {
        return MASK;
    }
}
