package org.pgwarden.pg;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.junit.jupiter.api.Test;
import org.pgwarden.pg.PageChecksum.Status;

class PageChecksumTest {
    private static final int SIZE = PageChecksum.PAGE_SIZE;

    /** A deterministic page that looks initialised: pd_lower 24, pd_upper 8000, filler data. */
    static byte[] givenSyntheticPage() {
        byte[] page = new byte[SIZE];
        for (int i = 0; i < SIZE; i++) {
            page[i] = (byte) (i * 31 % 251);
        }
        ByteBuffer b = ByteBuffer.wrap(page).order(ByteOrder.nativeOrder());
        b.putInt(0, 0x16);          // pd_lsn high
        b.putInt(4, 0xB374D848);    // pd_lsn low
        b.putShort(8, (short) 0);   // pd_checksum
        b.putShort(12, (short) 24); // pd_lower
        b.putShort(14, (short) 8000); // pd_upper
        return page;
    }

    static void storeChecksum(byte[] page, int offset, int checksum) {
        ByteBuffer.wrap(page).order(ByteOrder.nativeOrder()).putShort(offset + 8, (short) checksum);
    }

    /**
     * Values PostgreSQL 15's {@code pageinspect.page_checksum()} returned for the synthetic page
     * (see {@code PageChecksumIT}, which checks the same blocks against a live server).
     */
    @Test
    void matchesValuesComputedByPostgres() {
        assumeTrue(ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN, "the page is laid out little-endian");
        byte[] page = givenSyntheticPage();
        assertThat(PageChecksum.compute(page, 0, 0)).isEqualTo(53729);
        assertThat(PageChecksum.compute(page, 0, 1)).isEqualTo(53728);
        assertThat(PageChecksum.compute(page, 0, 131077)).isEqualTo(53726);
        assertThat(PageChecksum.compute(page, 0, Integer.MAX_VALUE)).isEqualTo(44575);
    }

    @Test
    void checksumIsInRangeAndDependsOnBlockNumber() {
        byte[] page = givenSyntheticPage();
        int c0 = PageChecksum.compute(page, 0, 0);
        int c1 = PageChecksum.compute(page, 0, 1);
        assertThat(c0).isBetween(1, 65535);
        assertThat(c1).isBetween(1, 65535).isNotEqualTo(c0);
        assertThat(PageChecksum.compute(page, 0, 0)).isEqualTo(c0);
    }

    @Test
    void storedChecksumFieldDoesNotTakePartButTheFlagsBesideItDo() {
        byte[] page = givenSyntheticPage();
        int before = PageChecksum.compute(page, 0, 7);
        storeChecksum(page, 0, 0xBEEF);
        assertThat(PageChecksum.compute(page, 0, 7)).isEqualTo(before);
        assertThat(PageChecksum.storedChecksum(page, 0)).isEqualTo(0xBEEF);
        page[10] ^= 1; // pd_flags shares the 32-bit word with pd_checksum
        assertThat(PageChecksum.compute(page, 0, 7)).isNotEqualTo(before);
    }

    @Test
    void checkReportsValidNewAndInvalid() {
        byte[] buffer = new byte[3 * SIZE];
        byte[] page = givenSyntheticPage();
        System.arraycopy(page, 0, buffer, SIZE, SIZE);
        long block = PageChecksum.blockNumber(1, 5);
        assertThat(block).isEqualTo(131077);
        int sum = PageChecksum.compute(buffer, SIZE, block);
        storeChecksum(buffer, SIZE, sum);

        assertThat(PageChecksum.check(buffer, SIZE, block).status()).isEqualTo(Status.VALID);
        assertThat(PageChecksum.check(buffer, 0, 0).status()).isEqualTo(Status.NEW);
        assertThat(PageChecksum.check(buffer, 2 * SIZE, 0).isValid()).isTrue();

        // the right page at the wrong place fails too
        assertThat(PageChecksum.check(buffer, SIZE, block + 1).status()).isEqualTo(Status.INVALID);

        buffer[SIZE + 4000] ^= 0x40;
        PageChecksum.PageCheck bad = PageChecksum.check(buffer, SIZE, block);
        assertThat(bad.status()).isEqualTo(Status.INVALID);
        assertThat(bad.found()).isEqualTo(sum);
        assertThat(bad.expected()).isNotEqualTo(sum);
    }

    @Test
    void uninitialisedHeaderWithDataIsInvalidEvenWithMatchingChecksum() {
        byte[] page = givenSyntheticPage();
        ByteBuffer.wrap(page).order(ByteOrder.nativeOrder()).putShort(14, (short) 0);
        storeChecksum(page, 0, PageChecksum.compute(page, 0, 0));
        assertThat(PageChecksum.check(page, 0, 0).status()).isEqualTo(Status.INVALID);
    }

    @Test
    void readsPageLsn() {
        assertThat(PageChecksum.pageLsn(givenSyntheticPage(), 0)).hasToString("16/B374D848");
        assertThat(PageChecksum.pageLsn(new byte[SIZE], 0)).isEqualTo(Lsn.INVALID);
    }

    @Test
    void refusesShortBuffers() {
        assertThatThrownBy(() -> PageChecksum.compute(new byte[SIZE], 1, 0)).hasMessageContaining("8192 bytes");
        assertThatThrownBy(() -> PageChecksum.check(new byte[100], 0, 0)).isInstanceOf(IllegalArgumentException.class);
    }
}
