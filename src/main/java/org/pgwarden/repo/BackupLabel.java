package org.pgwarden.repo;

import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.time.format.ResolverStyle;
import java.time.temporal.ChronoUnit;
import java.util.Comparator;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.pgwarden.common.ErrorCode;
import org.pgwarden.common.PgwardenException;

/**
 * The name of one backup, also its directory in the repository. A full is named by its start
 * second and {@code F} ({@code 20261124-020000F}); a differential or incremental by the full it
 * descends from, then its own start second and letter ({@code 20261124-020000F_20261124-080000I}),
 * so a label alone tells which full a backup needs. Times are UTC, whole seconds.
 *
 * <p>Natural order is chronological by the backup's own time; two labels never share a second in
 * one repository (callers move a new label past the latest one with {@link #nextAfter}).
 */
public final class BackupLabel implements Comparable<BackupLabel> {
    private static final String TIME = "[0-9]{8}-[0-9]{6}";
    private static final Pattern SYNTAX = Pattern.compile("(" + TIME + ")F(?:_(" + TIME + ")([DI]))?");
    private static final DateTimeFormatter FORMAT = DateTimeFormatter.ofPattern("uuuuMMdd-HHmmss")
            .withResolverStyle(ResolverStyle.STRICT);
    private static final Comparator<BackupLabel> ORDER = Comparator.comparing(BackupLabel::time)
            .thenComparing(BackupLabel::toString);
    private static final Instant EARLIEST = Instant.parse("1000-01-01T00:00:00Z");
    private static final Instant LATEST = Instant.parse("9999-12-31T23:59:59Z");

    private final Instant fullTime;
    private final Instant time;
    private final BackupType type;
    private final String text;

    private BackupLabel(Instant fullTime, Instant time, BackupType type) {
        this.fullTime = fullTime;
        this.time = time;
        this.type = type;
        this.text = type == BackupType.FULL
                ? format(fullTime) + "F"
                : format(fullTime) + "F_" + format(time) + type.letter();
    }

    /** The label of a full backup started at {@code start} (truncated to the second). */
    public static BackupLabel newFull(Instant start) {
        Instant t = second(start);
        return new BackupLabel(t, t, BackupType.FULL);
    }

    /**
     * The label of a differential or incremental backup started at {@code start}, descending from
     * the full of {@code fullOrLatest}. {@code start} must fall in a later second than
     * {@code fullOrLatest}; use {@link #nextAfter} to get one.
     */
    public static BackupLabel newIncremental(BackupLabel fullOrLatest, Instant start, BackupType type) {
        Objects.requireNonNull(fullOrLatest, "fullOrLatest");
        if (type == BackupType.FULL) {
            throw new IllegalArgumentException("a full backup has no parent: use newFull");
        }
        Instant t = second(start);
        if (!t.isAfter(fullOrLatest.time)) {
            throw new IllegalArgumentException("backup time " + t + " is not after its parent '" + fullOrLatest
                    + "': use BackupLabel.nextAfter");
        }
        return new BackupLabel(fullOrLatest.fullTime, t, type);
    }

    /**
     * The second a new backup should be named by: {@code now}, or the second after {@code latest}
     * when {@code now} is not later (two runs in one second, or a clock that stepped back).
     */
    public static Instant nextAfter(BackupLabel latest, Instant now) {
        Instant t = second(now);
        if (latest == null || t.isAfter(latest.time)) {
            return t;
        }
        return latest.time.plusSeconds(1);
    }

    /**
     * Labels parsed before, by text. A manifest names the backup of every slice, mostly the same
     * one or two, and parsing (a pattern and two date-time parses) was a visible share of reading
     * a large manifest. Labels are values, so sharing them is safe; the cache is emptied when full.
     */
    private static final Map<String, BackupLabel> PARSED = new ConcurrentHashMap<>();
    private static final int PARSED_LIMIT = 4096;

    /** Parses a label as printed by {@link #toString()}. */
    public static BackupLabel parse(String text) {
        if (text == null) {
            throw invalid("null", "it is missing");
        }
        BackupLabel known = PARSED.get(text);
        if (known != null) {
            return known;
        }
        BackupLabel parsed = parseText(text);
        if (PARSED.size() >= PARSED_LIMIT) {
            PARSED.clear();
        }
        PARSED.put(text, parsed);
        return parsed;
    }

    private static BackupLabel parseText(String text) {
        Matcher m = SYNTAX.matcher(text);
        if (!m.matches()) {
            throw invalid(text, "expected 'YYYYMMDD-HHMMSSF' or 'YYYYMMDD-HHMMSSF_YYYYMMDD-HHMMSS' followed by 'D' or 'I'");
        }
        Instant full = parseTime(text, m.group(1));
        if (m.group(2) == null) {
            return new BackupLabel(full, full, BackupType.FULL);
        }
        Instant own = parseTime(text, m.group(2));
        if (!own.isAfter(full)) {
            throw invalid(text, "its time is not after the time of its full backup");
        }
        return new BackupLabel(full, own, BackupType.ofLetter(m.group(3).charAt(0)));
    }

    /** Whether {@code text} is a well-formed label (for skipping foreign keys while listing). */
    public static boolean isValid(String text) {
        try {
            parse(text);
            return true;
        } catch (PgwardenException e) {
            return false;
        }
    }

    public BackupType type() {
        return type;
    }

    /** This backup's own start second, UTC. */
    public Instant time() {
        return time;
    }

    /** The full backup this one descends from; itself for a full. */
    public BackupLabel fullLabel() {
        return type == BackupType.FULL ? this : new BackupLabel(fullTime, fullTime, BackupType.FULL);
    }

    public boolean isFull() {
        return type == BackupType.FULL;
    }

    @Override
    public int compareTo(BackupLabel o) {
        return ORDER.compare(this, o);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof BackupLabel b && b.text.equals(text);
    }

    @Override
    public int hashCode() {
        return text.hashCode();
    }

    @Override
    public String toString() {
        return text;
    }

    private static Instant second(Instant t) {
        Objects.requireNonNull(t, "time");
        Instant s = t.truncatedTo(ChronoUnit.SECONDS);
        if (s.isBefore(EARLIEST) || s.isAfter(LATEST)) {
            throw new IllegalArgumentException("backup time " + t + " is outside years 1000..9999");
        }
        return s;
    }

    private static String format(Instant t) {
        return FORMAT.format(LocalDateTime.ofInstant(t, ZoneOffset.UTC));
    }

    private static Instant parseTime(String label, String time) {
        try {
            return LocalDateTime.parse(time, FORMAT).toInstant(ZoneOffset.UTC);
        } catch (DateTimeParseException e) {
            throw invalid(label, "'" + time + "' is not a valid date and time");
        }
    }

    private static PgwardenException invalid(String text, String why) {
        return new PgwardenException(ErrorCode.BACKUP_LABEL_INVALID, "invalid backup label '" + text + "': " + why,
                "a full backup is named like '20261124-020000F', a diff or incr like '20261124-020000F_20261124-080000I' (UTC)", null);
    }
}
