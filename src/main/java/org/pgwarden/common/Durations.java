package org.pgwarden.common;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Durations as written in configuration: one or more number-unit pairs, largest unit first,
 * with units {@code ms s m h d} ({@code 500ms}, {@code 15m}, {@code 7d}, {@code 1h30m}).
 * ISO-8601 and bare numbers are refused: a bare {@code 30} could be seconds or minutes.
 */
public final class Durations {
    private static final Pattern WHOLE = Pattern.compile("(\\d+(ms|s|m|h|d))+");
    private static final Pattern PART = Pattern.compile("(\\d+)(ms|s|m|h|d)");
    private static final String[] ORDER = {"d", "h", "m", "s", "ms"};

    private Durations() {
    }

    /** @throws IllegalArgumentException naming what was expected */
    public static Duration parse(String text) {
        if (text == null || !WHOLE.matcher(text.trim()).matches()) {
            throw new IllegalArgumentException(
                    "expected a duration such as '30s', '15m', '7d' or '1h30m' (units ms, s, m, h, d), got '"
                            + text + "'");
        }
        Matcher m = PART.matcher(text.trim());
        Duration total = Duration.ZERO;
        int lastRank = -1;
        try {
            while (m.find()) {
                long n = Long.parseLong(m.group(1));
                String unit = m.group(2);
                int rank = rank(unit);
                if (rank <= lastRank) {
                    throw new IllegalArgumentException("duration '" + text
                            + "' must list each unit once, largest first (e.g. '1h30m')");
                }
                lastRank = rank;
                total = total.plus(switch (unit) {
                    case "ms" -> Duration.ofMillis(n);
                    case "s" -> Duration.ofSeconds(n);
                    case "m" -> Duration.ofMinutes(n);
                    case "h" -> Duration.ofHours(n);
                    case "d" -> Duration.ofDays(n);
                    default -> throw new IllegalStateException(unit);
                });
            }
        } catch (NumberFormatException | ArithmeticException e) {
            throw new IllegalArgumentException("duration '" + text + "' is too large");
        }
        return total;
    }

    private static int rank(String unit) {
        for (int i = 0; i < ORDER.length; i++) {
            if (ORDER[i].equals(unit)) {
                return i;
            }
        }
        throw new IllegalStateException(unit);
    }

    /** Prints in the parseable form, e.g. {@code 1h30m}, {@code 0s}. */
    public static String format(Duration d) {
        if (d.isZero()) {
            return "0s";
        }
        StringBuilder sb = new StringBuilder();
        long days = d.toDays();
        if (days > 0) {
            sb.append(days).append('d');
        }
        if (d.toHoursPart() > 0) {
            sb.append(d.toHoursPart()).append('h');
        }
        if (d.toMinutesPart() > 0) {
            sb.append(d.toMinutesPart()).append('m');
        }
        if (d.toSecondsPart() > 0) {
            sb.append(d.toSecondsPart()).append('s');
        }
        if (d.toMillisPart() > 0) {
            sb.append(d.toMillisPart()).append("ms");
        }
        return sb.toString();
    }
}
