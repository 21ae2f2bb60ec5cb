package org.pgwarden.pg;

import java.util.Locale;

/**
 * A position in the write-ahead log: an unsigned 64-bit byte offset, printed the way PostgreSQL
 * prints it ({@code 16/B374D848}: the high and low 32 bits in upper-case hexadecimal without
 * leading zeros). Comparison is unsigned, so positions past {@code 8000000/0} still order right.
 */
public record Lsn(long value) implements Comparable<Lsn> {
    /** PostgreSQL's {@code InvalidXLogRecPtr}: no position at all. */
    public static final Lsn INVALID = new Lsn(0);

    /** Parses {@code 16/B374D848}; each half is 1 to 8 hexadecimal digits, either case. */
    public static Lsn parse(String text) {
        if (text == null || !text.matches("[0-9A-Fa-f]{1,8}/[0-9A-Fa-f]{1,8}")) {
            throw new IllegalArgumentException("expected a WAL position such as '16/B374D848', got '" + text + "'");
        }
        int slash = text.indexOf('/');
        long high = Long.parseLong(text.substring(0, slash), 16);
        long low = Long.parseLong(text.substring(slash + 1), 16);
        return new Lsn(high << 32 | low);
    }

    public static Lsn of(long value) {
        return new Lsn(value);
    }

    public boolean isValid() {
        return value != 0;
    }

    /** The number of the WAL segment holding this position, counted from the start of the log. */
    public long segmentNumber(int walSegmentSize) {
        WalSegmentName.requireSegmentSize(walSegmentSize);
        return Long.divideUnsigned(value, walSegmentSize);
    }

    /** The byte offset of this position inside its WAL segment. */
    public int segmentOffset(int walSegmentSize) {
        WalSegmentName.requireSegmentSize(walSegmentSize);
        return (int) Long.remainderUnsigned(value, walSegmentSize);
    }

    public Lsn plus(long bytes) {
        return new Lsn(value + bytes);
    }

    public boolean isAfter(Lsn other) {
        return compareTo(other) > 0;
    }

    public boolean isBefore(Lsn other) {
        return compareTo(other) < 0;
    }

    @Override
    public int compareTo(Lsn o) {
        return Long.compareUnsigned(value, o.value);
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "%X/%X", value >>> 32, value & 0xFFFFFFFFL);
    }
}
