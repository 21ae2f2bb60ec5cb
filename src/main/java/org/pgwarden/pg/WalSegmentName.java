package org.pgwarden.pg;

import java.util.Locale;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The name of a file in {@code pg_wal} or the WAL archive, parsed once. Four kinds exist:
 * <ul>
 *   <li>{@link Kind#SEGMENT} {@code 000000010000000A000000FE}: timeline, then the segment number
 *       split into a "log" (high part) and "seg" (low part), 8 hex digits each;</li>
 *   <li>{@link Kind#PARTIAL} {@code 000000010000000A000000FE.partial}: the last, incomplete
 *       segment of a timeline that was left at promotion;</li>
 *   <li>{@link Kind#BACKUP} {@code 000000010000000A000000FE.00000028.backup}: the history file a
 *       backup leaves, naming its start segment and the offset of the start inside it;</li>
 *   <li>{@link Kind#HISTORY} {@code 00000002.history}: how a timeline branched off its parent.</li>
 * </ul>
 *
 * <p>How a segment number splits into log and seg depends on the cluster's WAL segment size
 * ({@code 0x100000000 / size} segments per log), so every conversion between numbers and names
 * takes that size; the name alone does not carry it.
 */
public record WalSegmentName(Kind kind, TimelineId timeline, long log, long seg, int backupOffset)
        implements Comparable<WalSegmentName> {

    public enum Kind { SEGMENT, PARTIAL, BACKUP, HISTORY }

    /** The smallest and largest segment sizes {@code initdb --wal-segsize} accepts: 1 MiB and 1 GiB. */
    public static final int MIN_SEGMENT_SIZE = 1 << 20;
    public static final int MAX_SEGMENT_SIZE = 1 << 30;

    private static final Pattern NAME = Pattern.compile(
            "([0-9A-F]{8})([0-9A-F]{8})([0-9A-F]{8})(?:(\\.partial)|\\.([0-9A-F]{8})\\.backup)?");
    private static final Pattern HISTORY_NAME = Pattern.compile("([0-9A-F]{8})\\.history");

    public WalSegmentName {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(timeline, "timeline");
        if (kind == Kind.HISTORY ? log != 0 || seg != 0 : log < 0 || log > 0xFFFFFFFFL || seg < 0 || seg > 0xFFFFFFFFL) {
            throw new IllegalArgumentException("log " + log + " and seg " + seg + " are out of range for a " + kind
                    + " file name");
        }
        if ((kind == Kind.BACKUP) != (backupOffset >= 0)) {
            throw new IllegalArgumentException("only a BACKUP file name has a backup offset, and it needs one");
        }
    }

    /** Parses any of the four kinds; upper-case hexadecimal only, as PostgreSQL writes them. */
    public static WalSegmentName parse(String fileName) {
        if (fileName != null) {
            Matcher m = NAME.matcher(fileName);
            if (m.matches()) {
                TimelineId tli = TimelineId.parseHex(m.group(1));
                long log = Long.parseLong(m.group(2), 16);
                long seg = Long.parseLong(m.group(3), 16);
                if (m.group(4) != null) {
                    return new WalSegmentName(Kind.PARTIAL, tli, log, seg, -1);
                }
                if (m.group(5) != null) {
                    long offset = Long.parseLong(m.group(5), 16);
                    if (offset >= MAX_SEGMENT_SIZE) {
                        throw new IllegalArgumentException("backup offset in '" + fileName + "' is beyond any segment size");
                    }
                    return new WalSegmentName(Kind.BACKUP, tli, log, seg, (int) offset);
                }
                return new WalSegmentName(Kind.SEGMENT, tli, log, seg, -1);
            }
            Matcher h = HISTORY_NAME.matcher(fileName);
            if (h.matches()) {
                return history(TimelineId.parseHex(h.group(1)));
            }
        }
        throw new IllegalArgumentException("expected a WAL file name such as '000000010000000000000003',"
                + " '00000002.history', '...partial' or '....backup', got '" + fileName + "'");
    }

    /** Whether {@code fileName} is a WAL file name of any kind, without throwing. */
    public static boolean isWalFileName(String fileName) {
        try {
            parse(fileName);
            return true;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    /** The segment holding {@code lsn}; a position exactly on a boundary belongs to the segment it starts. */
    public static WalSegmentName of(TimelineId timeline, Lsn lsn, int walSegmentSize) {
        return ofSegmentNumber(timeline, lsn.segmentNumber(walSegmentSize), walSegmentSize);
    }

    public static WalSegmentName ofSegmentNumber(TimelineId timeline, long segmentNumber, int walSegmentSize) {
        long perLog = segmentsPerLog(walSegmentSize);
        if (segmentNumber < 0) {
            throw new IllegalArgumentException("segment number " + segmentNumber + " is negative");
        }
        return new WalSegmentName(Kind.SEGMENT, timeline, segmentNumber / perLog, segmentNumber % perLog, -1);
    }

    public static WalSegmentName history(TimelineId timeline) {
        return new WalSegmentName(Kind.HISTORY, timeline, 0, 0, -1);
    }

    /** Segment number counted from the start of the log; not defined for history files. */
    public long segmentNumber(int walSegmentSize) {
        requireSegmentKind();
        long perLog = segmentsPerLog(walSegmentSize);
        if (seg >= perLog) {
            throw new IllegalArgumentException("'" + this + "' cannot name a segment of " + walSegmentSize
                    + " bytes: its seg part must be below " + Long.toHexString(perLog).toUpperCase(Locale.ROOT));
        }
        return log * perLog + seg;
    }

    /** The first WAL position inside this segment. */
    public Lsn startLsn(int walSegmentSize) {
        return Lsn.of(segmentNumber(walSegmentSize) * walSegmentSize);
    }

    /** The following segment on the same timeline, as a plain {@link Kind#SEGMENT} name. */
    public WalSegmentName next(int walSegmentSize) {
        return ofSegmentNumber(timeline, segmentNumber(walSegmentSize) + 1, walSegmentSize);
    }

    /** The plain segment a partial or backup file name refers to. */
    public WalSegmentName segment() {
        requireSegmentKind();
        return kind == Kind.SEGMENT ? this : new WalSegmentName(Kind.SEGMENT, timeline, log, seg, -1);
    }

    /**
     * Name order, which is the order PostgreSQL archives files in: timeline first, then position.
     * A history file sorts before the segments of its timeline, which is when it is needed.
     */
    @Override
    public int compareTo(WalSegmentName o) {
        return toString().compareTo(o.toString());
    }

    /** The file name. */
    @Override
    public String toString() {
        String base = kind == Kind.HISTORY ? timeline.toHex()
                : String.format(Locale.ROOT, "%s%08X%08X", timeline.toHex(), log, seg);
        return switch (kind) {
            case SEGMENT -> base;
            case PARTIAL -> base + ".partial";
            case BACKUP -> String.format(Locale.ROOT, "%s.%08X.backup", base, backupOffset);
            case HISTORY -> base + ".history";
        };
    }

    private void requireSegmentKind() {
        if (kind == Kind.HISTORY) {
            throw new IllegalStateException("'" + this + "' is a timeline history file, not a segment");
        }
    }

    static long segmentsPerLog(int walSegmentSize) {
        requireSegmentSize(walSegmentSize);
        return 0x100000000L / walSegmentSize;
    }

    static void requireSegmentSize(int walSegmentSize) {
        if (walSegmentSize < MIN_SEGMENT_SIZE || walSegmentSize > MAX_SEGMENT_SIZE || Integer.bitCount(walSegmentSize) != 1) {
            throw new IllegalArgumentException("a WAL segment size is a power of two from 1 MiB to 1 GiB, got "
                    + walSegmentSize);
        }
    }
}
