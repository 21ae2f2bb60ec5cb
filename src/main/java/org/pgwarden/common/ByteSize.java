package org.pgwarden.common;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * An amount of bytes, written in configuration with binary units only ({@code 16MiB}). Decimal
 * units ({@code MB}) are refused rather than guessed: a part size that is 5% off is a bug that
 * shows up months later.
 */
public record ByteSize(long bytes) implements Comparable<ByteSize> {
    private static final Pattern FORMAT = Pattern.compile("(\\d+)\\s*(B|KiB|MiB|GiB|TiB)");
    private static final String[] UNITS = {"B", "KiB", "MiB", "GiB", "TiB"};

    public ByteSize {
        if (bytes < 0) {
            throw new IllegalArgumentException("byte size must not be negative: " + bytes);
        }
    }

    public static ByteSize ofBytes(long bytes) {
        return new ByteSize(bytes);
    }

    public static ByteSize ofKiB(long n) {
        return new ByteSize(Math.multiplyExact(n, 1024L));
    }

    public static ByteSize ofMiB(long n) {
        return new ByteSize(Math.multiplyExact(n, 1024L * 1024));
    }

    /**
     * Parses {@code 512B}, {@code 64KiB}, {@code 16MiB}, {@code 2GiB}, {@code 1TiB}.
     *
     * @throws IllegalArgumentException naming what was expected
     */
    public static ByteSize parse(String text) {
        if (text == null) {
            throw new IllegalArgumentException("expected a size such as '16MiB', got nothing");
        }
        Matcher m = FORMAT.matcher(text.trim());
        if (!m.matches()) {
            String hint = text.trim().toUpperCase(Locale.ROOT).matches("\\d+\\s*[KMGT]B")
                    ? " (binary units only: KiB, MiB, GiB, TiB)" : "";
            throw new IllegalArgumentException(
                    "expected a size such as '16MiB' (units B, KiB, MiB, GiB, TiB), got '" + text + "'" + hint);
        }
        long n;
        try {
            n = Long.parseLong(m.group(1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("size '" + text + "' is too large");
        }
        int power = indexOf(m.group(2));
        try {
            long bytes = n;
            for (int i = 0; i < power; i++) {
                bytes = Math.multiplyExact(bytes, 1024L);
            }
            return new ByteSize(bytes);
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException("size '" + text + "' is too large");
        }
    }

    private static int indexOf(String unit) {
        for (int i = 0; i < UNITS.length; i++) {
            if (UNITS[i].equals(unit)) {
                return i;
            }
        }
        throw new IllegalStateException(unit);
    }

    /** The exact form it was written in when possible ({@code 16MiB}), bytes otherwise. */
    @Override
    public String toString() {
        long n = bytes;
        int power = 0;
        while (n != 0 && n % 1024 == 0 && power < UNITS.length - 1) {
            n /= 1024;
            power++;
        }
        return n + UNITS[power];
    }

    /** Rounded for humans ({@code 1.5 GiB}); not parseable. */
    public String toHuman() {
        double v = bytes;
        int power = 0;
        while (v >= 1024 && power < UNITS.length - 1) {
            v /= 1024;
            power++;
        }
        return power == 0 ? bytes + " B" : String.format(Locale.ROOT, "%.1f %s", v, UNITS[power]);
    }

    @Override
    public int compareTo(ByteSize o) {
        return Long.compare(bytes, o.bytes);
    }
}
