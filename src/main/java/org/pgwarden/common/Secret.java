package org.pgwarden.common;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A resolved secret value. {@code toString} never reveals it, so a secret that slips into a log
 * line, an exception message or a record's printed form shows as a mask. Every resolved value is
 * also remembered so the log encoder can mask it wherever it appears (defence in depth: code
 * should never log it in the first place).
 */
public final class Secret {
    public static final String MASK = "******";
    /** Shorter values are not masked in logs: masking "ab" everywhere would garble every line. */
    static final int MIN_MASKED_LENGTH = 4;
    private static final Set<String> RESOLVED = ConcurrentHashMap.newKeySet();

    private final String value;

    public Secret(String value) {
        this.value = value;
        if (value != null && value.length() >= MIN_MASKED_LENGTH) {
            RESOLVED.add(value);
        }
    }

    /** The clear value; call only where it is handed to the library that needs it. */
    public String reveal() {
        return value;
    }

    /** {@code text} with every secret resolved in this process replaced by {@link #MASK}. */
    public static String maskAll(String text) {
        if (text == null || RESOLVED.isEmpty()) {
            return text;
        }
        String out = text;
        for (String s : RESOLVED) {
            if (out.contains(s)) {
                out = out.replace(s, MASK);
            }
        }
        return out;
    }

    @Override
    public String toString() {
        return MASK;
    }
}
