package org.pgwarden.pg;

import java.util.Locale;

/**
 * A PostgreSQL timeline: 1 for a cluster that was never promoted, one more after each promotion
 * or point-in-time recovery that opens a new history. Printed as the 8 upper-case hexadecimal
 * digits that start WAL file names ({@code 0000000A}).
 *
 * <p>PostgreSQL stores timelines as unsigned 32-bit numbers; values above {@code 7FFFFFFF} would
 * need billions of promotions and are refused rather than carried as negative ints.
 */
public record TimelineId(int value) implements Comparable<TimelineId> {
    public static final TimelineId FIRST = new TimelineId(1);

    public TimelineId {
        if (value < 1) {
            throw new IllegalArgumentException("a timeline id is 1 or more, got " + value);
        }
    }

    public static TimelineId of(int value) {
        return new TimelineId(value);
    }

    /** Parses the 8-digit hexadecimal form used in WAL file names, e.g. {@code 00000002}. */
    public static TimelineId parseHex(String text) {
        if (text == null || !text.matches("[0-9A-Fa-f]{8}")) {
            throw new IllegalArgumentException("expected a timeline as 8 hexadecimal digits such as '00000001', got '"
                    + text + "'");
        }
        long v = Long.parseLong(text, 16);
        if (v > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("timeline '" + text + "' is beyond what pgwarden supports");
        }
        return new TimelineId((int) v);
    }

    public TimelineId next() {
        return new TimelineId(Math.addExact(value, 1));
    }

    /** {@code 00000001}. */
    public String toHex() {
        return String.format(Locale.ROOT, "%08X", value);
    }

    @Override
    public int compareTo(TimelineId o) {
        return Integer.compare(value, o.value);
    }

    /** The decimal number, as PostgreSQL shows it in {@code backup_label} and {@code pg_control_checkpoint()}. */
    @Override
    public String toString() {
        return Integer.toString(value);
    }
}
