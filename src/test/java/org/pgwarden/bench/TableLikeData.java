package org.pgwarden.bench;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Random;

/**
 * Generates bytes that look like PostgreSQL heap pages of an ordinary business table (orders:
 * bigint id, customer id, timestamp, amount, status, uuid, email, free-text note), so codec
 * figures are realistic. pgbench's filler columns compress about 40×, which would flatter every
 * codec; this data lands near 2× with zstd, as real tables with ids, uuids and text usually do.
 */
public final class TableLikeData {
    private static final int PAGE = 8192;
    private static final String[] STATUS = {"new", "paid", "shipped", "delivered", "returned", "cancelled"};
    private static final String[] WORDS = ("order customer delivery address please call before leave at door "
            + "gift wrap fragile express invoice refund damaged box priority warehouse backorder monday friday "
            + "morning evening contact support item size colour blue red large small replaced urgent").split(" ");
    private static final String[] DOMAINS = {"example.com", "mail.example.org", "corp.example.net", "shop.test"};

    private TableLikeData() {
    }

    /** {@code bytes} (rounded down to whole pages) of deterministic table-like pages. */
    public static byte[] generate(int bytes, long seed) {
        Random r = new Random(seed);
        byte[] out = new byte[bytes / PAGE * PAGE];
        long id = 1_000_000;
        long ts = 820_000_000_000_000L;
        for (int p = 0; p < out.length / PAGE; p++) {
            ByteBuffer page = ByteBuffer.wrap(out, p * PAGE, PAGE).slice().order(ByteOrder.LITTLE_ENDIAN);
            page.putLong(0, 0x0000_0001_2345_0000L + p); // pd_lsn
            int lower = 24;
            int upper = PAGE;
            while (true) {
                byte[] tuple = tuple(r, id, ts);
                int len = (tuple.length + 7) & ~7;
                if (upper - len < lower + 4) {
                    break;
                }
                upper -= len;
                page.position(upper);
                page.put(tuple);
                page.putInt(lower, upper | (1 << 15) | (tuple.length << 17)); // line pointer
                lower += 4;
                id++;
                ts += 1_000_000L * (1 + r.nextInt(30));
            }
            page.putShort(12, (short) lower);
            page.putShort(14, (short) upper);
            page.putShort(16, (short) PAGE);
            page.putShort(18, (short) 0x2004);
        }
        return out;
    }

    private static byte[] tuple(Random r, long id, long ts) {
        ByteBuffer t = ByteBuffer.allocate(512).order(ByteOrder.LITTLE_ENDIAN);
        t.putInt(700 + (int) (id / 50)); // xmin
        t.putInt(0); // xmax
        t.putInt(0); // cid
        t.putInt((int) (id / 180)).putShort((short) (id % 180)); // ctid
        t.putShort((short) 8).putShort((short) 0x0902).put((byte) 24); // natts, infomask, hoff
        t.put((byte) 0); // padding to hoff
        t.putLong(id);
        t.putLong(1 + (long) Math.abs(r.nextGaussian() * 40_000));
        t.putLong(ts);
        t.putLong(r.nextInt(500_000)); // amount in cents
        byte[] uuid = new byte[16];
        r.nextBytes(uuid);
        t.put(uuid);
        varlena(t, STATUS[r.nextInt(STATUS.length)]);
        varlena(t, "user" + r.nextInt(1_000_000) + "@" + DOMAINS[r.nextInt(DOMAINS.length)]);
        StringBuilder note = new StringBuilder();
        int words = r.nextInt(12);
        for (int i = 0; i < words; i++) {
            note.append(WORDS[r.nextInt(WORDS.length)]).append(' ');
        }
        if (r.nextInt(4) == 0) {
            note.append("ref ").append(Long.toHexString(r.nextLong()));
        }
        varlena(t, note.toString());
        byte[] b = new byte[t.position()];
        t.flip().get(b);
        return b;
    }

    private static void varlena(ByteBuffer t, String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        t.put((byte) ((b.length + 1) << 1 | 1)); // short varlena header
        t.put(b);
    }
}
