package org.pgwarden.pg;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Objects;

/**
 * PostgreSQL's data page checksum, so a backup can report corrupt pages the moment it reads
 * them instead of at restore time.
 *
 * <p>The algorithm: the 8 KiB page is read as rows of 32 unsigned 32-bit words. Each of 32
 * independent lanes starts from its own fixed seed and absorbs its column word by word with an
 * FNV-1a-like step ({@code x = (sum ^ word); sum = x * 16777619 ^ (x >>> 17)}); the lanes then
 * absorb two extra rows of zeros so the last words are mixed as well, and are XOR-ed together.
 * The page's own checksum field counts as zero while hashing. The result is XOR-ed with the block
 * number (so a page written at the wrong place fails too) and reduced to 1..65535, keeping 0 free
 * to mean "no checksum".
 *
 * <p>Words are read in the platform's byte order, as the server wrote them on this host. Only the
 * default 8 KiB block size is supported; callers check {@link PgCluster#blockSize()} first.
 */
public final class PageChecksum {
    /** PostgreSQL's default {@code BLCKSZ}. */
    public static final int PAGE_SIZE = 8192;
    /** Pages per 1 GiB relation segment file: block numbers continue across {@code .1}, {@code .2}, ... */
    public static final long BLOCKS_PER_SEGMENT = 131072;

    /** Where {@code pd_checksum} (uint16) sits in the page header, after the 8-byte {@code pd_lsn}. */
    private static final int CHECKSUM_OFFSET = 8;
    /** Where {@code pd_upper} (uint16) sits: zero only on a page that was never initialised. */
    private static final int UPPER_OFFSET = 14;
    private static final int LANES = 32;
    private static final int PRIME = 16777619;
    private static final int WORDS = PAGE_SIZE / 4;
    /** Fixed lane seeds: any distinct values would do, these are the ones PostgreSQL's format uses. */
    private static final int[] SEEDS = {
        0x5B1F36E9, 0xB8525960, 0x02AB50AA, 0x1DE66D2A, 0x79FF467A, 0x9BB9F8A3, 0x217E7CD2, 0x83E13D2C,
        0xF8D4474F, 0xE39EB970, 0x42C6AE16, 0x993216FA, 0x7B093B5D, 0x98DAFF3C, 0xF718902A, 0x0B1C9CDB,
        0xE58F764B, 0x187636BC, 0x5D7B3BB1, 0xE73DE7DE, 0x92BEC979, 0xCCA6C0B2, 0x304A0979, 0x85AA43D4,
        0x783125BB, 0x6CA8EAA2, 0xE407EAC6, 0x4B5CFC3E, 0x9FBF8C76, 0x15CA20BE, 0xF2CA9FD3, 0x959BD756,
    };
    private static final VarHandle INT = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.nativeOrder());
    private static final VarHandle SHORT = MethodHandles.byteArrayViewVarHandle(short[].class, ByteOrder.nativeOrder());

    /** The outcome of checking one page. */
    public enum Status { VALID, NEW, INVALID }

    /**
     * @param expected the checksum computed from the page's content (0 for a new page)
     * @param found    the checksum stored in the page header
     */
    public record PageCheck(Status status, int expected, int found) {
        public boolean isValid() {
            return status != Status.INVALID;
        }
    }

    private PageChecksum() {
    }

    /**
     * The page as native-order words, one buffer per thread: a plain {@code int[]} loop over the
     * 32 lanes is what the JIT turns into vector instructions (the C server's loop is vectorised
     * by its compiler the same way); reading words through a byte-array view in the loop is not.
     */
    private static final ThreadLocal<int[]> WORD_BUFFER = ThreadLocal.withInitial(() -> new int[WORDS]);

    /** The checksum the page at {@code offset} should carry as block {@code blockNumber} of its relation fork. */
    public static int compute(byte[] page, int offset, long blockNumber) {
        requirePage(page, offset);
        int[] words = WORD_BUFFER.get();
        ByteBuffer.wrap(page, offset, PAGE_SIZE).order(ByteOrder.nativeOrder()).asIntBuffer().get(words);
        words[CHECKSUM_OFFSET / 4] = wordWithoutChecksum(page, offset + CHECKSUM_OFFSET);
        int[] sums = SEEDS.clone();
        for (int row = 0; row < WORDS; row += LANES) {
            for (int lane = 0; lane < LANES; lane++) {
                int x = sums[lane] ^ words[row + lane];
                sums[lane] = x * PRIME ^ (x >>> 17);
            }
        }
        int result = 0;
        for (int lane = 0; lane < LANES; lane++) {
            int s = mix(mix(sums[lane], 0), 0);
            result ^= s;
        }
        result ^= (int) blockNumber;
        return Integer.remainderUnsigned(result, 65535) + 1;
    }

    /** Checks the page as PostgreSQL does when it reads it: an all-zero page is new and valid. */
    public static PageCheck check(byte[] page, int offset, long blockNumber) {
        requirePage(page, offset);
        int found = storedChecksum(page, offset);
        // PostgreSQL never checksums a page whose header says "not initialised" (pd_upper 0): such a
        // page is fine only when entirely zero. Initialised pages skip that scan of 8 KiB.
        boolean initialised = (short) SHORT.get(page, offset + UPPER_OFFSET) != 0;
        if (!initialised && isAllZero(page, offset)) {
            return new PageCheck(Status.NEW, 0, found);
        }
        int expected = compute(page, offset, blockNumber);
        boolean valid = initialised && expected == found;
        return new PageCheck(valid ? Status.VALID : Status.INVALID, expected, found);
    }

    /** The checksum stored in the page header. */
    public static int storedChecksum(byte[] page, int offset) {
        requirePage(page, offset);
        return Short.toUnsignedInt((short) SHORT.get(page, offset + CHECKSUM_OFFSET));
    }

    /**
     * The WAL position of the last change to the page ({@code pd_lsn}: high then low 32 bits). A
     * page newer than the backup's start may be torn mid-write and is repaired by WAL replay, so
     * callers do not report such a page as corrupt.
     */
    public static Lsn pageLsn(byte[] page, int offset) {
        requirePage(page, offset);
        long high = Integer.toUnsignedLong((int) INT.get(page, offset));
        long low = Integer.toUnsignedLong((int) INT.get(page, offset + 4));
        return Lsn.of(high << 32 | low);
    }

    /** Block number of the {@code indexInFile}-th page of relation segment file {@code .segmentNumber}. */
    public static long blockNumber(long segmentNumber, long indexInFile) {
        return segmentNumber * BLOCKS_PER_SEGMENT + indexInFile;
    }

    private static int mix(int sum, int word) {
        int x = sum ^ word;
        return x * PRIME ^ (x >>> 17);
    }

    /** The word holding {@code pd_checksum} and {@code pd_flags}, with the checksum half zeroed. */
    private static int wordWithoutChecksum(byte[] page, int at) {
        byte[] copy = {page[at], page[at + 1], page[at + 2], page[at + 3]};
        copy[0] = 0;
        copy[1] = 0;
        return (int) INT.get(copy, 0);
    }

    private static boolean isAllZero(byte[] page, int offset) {
        for (int i = offset; i < offset + PAGE_SIZE; i += 8) {
            if (page[i] != 0 || page[i + 1] != 0 || page[i + 2] != 0 || page[i + 3] != 0
                    || page[i + 4] != 0 || page[i + 5] != 0 || page[i + 6] != 0 || page[i + 7] != 0) {
                return false;
            }
        }
        return true;
    }

    private static void requirePage(byte[] page, int offset) {
        Objects.requireNonNull(page, "page");
        if (offset < 0 || offset > page.length - PAGE_SIZE) {
            throw new IllegalArgumentException("a page needs " + PAGE_SIZE + " bytes at offset " + offset
                    + " of a buffer of " + page.length);
        }
    }
}
