package org.pgwarden.bench;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import org.pgwarden.codec.Codec;
import org.pgwarden.crypto.SealedObjectReader;
import org.pgwarden.crypto.SealedObjectWriter;
import org.pgwarden.crypto.SealingKey;
import org.pgwarden.crypto.SealingOutputStream;
import org.pgwarden.crypto.UnsealingInputStream;
import org.pgwarden.storage.ObjectKey;

/**
 * Measures the whole data path on one thread (SHA-256 + codec + AES-256-GCM streaming AEAD, in
 * both directions) on table-like data and prints MB/s per core, the median of several runs.
 * Usage: {@code PipelineBenchmark [MiB=64] [runs=5] [codecs=none,zstd-1,zstd-3,zstd-6]}.
 */
public final class PipelineBenchmark {
    private static final ObjectKey KEY = ObjectKey.of("bench", "object");

    public static void main(String[] args) throws IOException {
        int mib = args.length > 0 ? Integer.parseInt(args[0]) : 64;
        int runs = args.length > 1 ? Integer.parseInt(args[1]) : 5;
        String[] codecs = (args.length > 2 ? args[2] : "none,zstd-1,zstd-3,zstd-6").split(",");
        byte[] data = TableLikeData.generate(mib << 20, 42);
        byte[] k = new byte[32];
        new Random(1).nextBytes(k);
        SealingKey key = new SealingKey("dk-20261124T020000Z-00000000", k);
        System.out.printf(Locale.ROOT, "dataset: %d MiB table-like heap pages, %d runs, median, one thread (%s, %s)%n",
                mib, runs, System.getProperty("java.vm.name"), System.getProperty("java.version"));
        System.out.printf(Locale.ROOT, "%-8s %7s %14s %14s%n", "codec", "ratio", "seal MB/s", "unseal MB/s");
        for (String name : codecs) {
            Codec codec = parse(name.trim());
            SealedObjectWriter writer = new SealedObjectWriter("bench", codec);
            SealedObjectReader reader = new SealedObjectReader("bench", id -> key);
            byte[] sealed = seal(writer, key, data);
            List<Double> sealRates = new ArrayList<>();
            List<Double> unsealRates = new ArrayList<>();
            for (int i = 0; i < runs + 1; i++) {
                long t0 = System.nanoTime();
                seal(writer, key, data, OutputStream.nullOutputStream());
                long t1 = System.nanoTime();
                unseal(reader, sealed);
                long t2 = System.nanoTime();
                if (i > 0) { // the first run warms up the JIT
                    sealRates.add(data.length / 1e6 / ((t1 - t0) / 1e9));
                    unsealRates.add(data.length / 1e6 / ((t2 - t1) / 1e9));
                }
            }
            System.out.printf(Locale.ROOT, "%-8s %6.2fx %14.0f %14.0f%n", codec.describe(),
                    (double) data.length / sealed.length, median(sealRates), median(unsealRates));
        }
    }

    static Codec parse(String name) {
        return name.equals("none") ? Codec.none() : Codec.zstd(Integer.parseInt(name.substring("zstd-".length())));
    }

    private static byte[] seal(SealedObjectWriter writer, SealingKey key, byte[] data) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream(data.length / 2);
        seal(writer, key, data, out);
        return out.toByteArray();
    }

    /** Timed form: writes into a sink that discards, so buffer growth is not measured. */
    private static void seal(SealedObjectWriter writer, SealingKey key, byte[] data, OutputStream sink)
            throws IOException {
        try (SealingOutputStream s = writer.open(sink, KEY, key)) {
            for (int off = 0; off < data.length; off += 65536) {
                s.write(data, off, Math.min(65536, data.length - off));
            }
        }
    }

    private static void unseal(SealedObjectReader reader, byte[] sealed) throws IOException {
        byte[] buf = new byte[65536];
        try (UnsealingInputStream in = reader.open(new ByteArrayInputStream(sealed), KEY)) {
            while (in.read(buf) >= 0) {
                // consume
            }
            in.result();
        }
    }

    private static double median(List<Double> xs) {
        double[] a = xs.stream().mapToDouble(Double::doubleValue).toArray();
        Arrays.sort(a);
        return a.length % 2 == 1 ? a[a.length / 2] : (a[a.length / 2 - 1] + a[a.length / 2]) / 2;
    }

    private PipelineBenchmark() {
    }
}
