package org.pgwarden.bench;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import org.pgwarden.adapter.s3.S3ObjectStore;
import org.pgwarden.common.ByteSize;
import org.pgwarden.config.RepositoryConfig;
import org.pgwarden.metrics.Metrics;
import org.pgwarden.storage.ObjectKey;
import org.pgwarden.testing.S3MockFixture;

/**
 * Put and get throughput of {@link S3ObjectStore} against the in-JVM S3 server, median of several
 * runs. Arguments: object MiB, part MiB, max concurrency, runs (defaults 256 16 4 5).
 */
public final class S3Throughput {
    private static final int MIB = 1024 * 1024;

    private S3Throughput() {
    }

    public static void main(String[] args) throws IOException {
        try {
            measure(args);
        } finally {
            S3MockFixture.stop();
        }
    }

    private static void measure(String[] args) throws IOException {
        int objectMiB = arg(args, 0, 256);
        int partMiB = arg(args, 1, 16);
        int concurrency = arg(args, 2, 4);
        int runs = arg(args, 3, 5);
        long bytes = (long) objectMiB * MIB;

        String bucket = S3MockFixture.givenBucket("bench");
        RepositoryConfig.S3 base = S3MockFixture.createConfig(bucket, "bench");
        RepositoryConfig.S3 config = new RepositoryConfig.S3(bucket, "bench", base.region(), base.endpoint(), true,
                "STANDARD", base.accessKeyId(), base.secretAccessKey(), ByteSize.ofMiB(partMiB), concurrency,
                base.retry(), Optional.empty(), Optional.empty(), true);
        Map<String, String> env = S3MockFixture.environment();
        List<Double> puts = new ArrayList<>();
        List<Double> gets = new ArrayList<>();
        try (S3ObjectStore store = S3ObjectStore.open(config, env, Metrics.noop())) {
            ObjectKey key = ObjectKey.of("object");
            // One untimed round warms up the JIT, the connection pool and the server.
            store.put(key, new RepeatingSource(bytes));
            drain(store.get(key));
            for (int run = 1; run <= runs; run++) {
                long t0 = System.nanoTime();
                store.put(key, new RepeatingSource(bytes));
                long t1 = System.nanoTime();
                long read = drain(store.get(key));
                long t2 = System.nanoTime();
                if (read != bytes) {
                    throw new IllegalStateException("read " + read + " bytes back, expected " + bytes);
                }
                puts.add(mbPerSecond(bytes, t1 - t0));
                gets.add(mbPerSecond(bytes, t2 - t1));
                System.out.printf(Locale.ROOT, "run %d: put %.0f MB/s, get %.0f MB/s%n", run, puts.get(run - 1),
                        gets.get(run - 1));
            }
            store.delete(List.of(key));
        }
        System.out.printf(Locale.ROOT, "S3Mock in-JVM, %d MiB object, %d MiB parts, concurrency %d, %d runs: "
                + "put median %.0f MB/s, get median %.0f MB/s%n", objectMiB, partMiB, concurrency, runs,
                median(puts), median(gets));
    }

    private static long drain(InputStream in) throws IOException {
        byte[] buf = new byte[256 * 1024];
        long total = 0;
        try (in) {
            for (int n; (n = in.read(buf)) >= 0; ) {
                total += n;
            }
        }
        return total;
    }

    private static double mbPerSecond(long bytes, long nanos) {
        return bytes / 1e6 / (nanos / 1e9);
    }

    private static double median(List<Double> values) {
        List<Double> sorted = new ArrayList<>(values);
        Collections.sort(sorted);
        int n = sorted.size();
        return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
    }

    private static int arg(String[] args, int i, int dflt) {
        return args.length > i ? Integer.parseInt(args[i]) : dflt;
    }

    /** {@code size} bytes cycling through 1 MiB of random data, so generating input costs nothing. */
    private static final class RepeatingSource extends InputStream {
        private static final byte[] BLOCK = new byte[MIB];

        static {
            new Random(1).nextBytes(BLOCK);
        }

        private long remaining;
        private int pos;

        RepeatingSource(long size) {
            this.remaining = size;
        }

        @Override
        public int read() {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) {
            if (remaining == 0) {
                return -1;
            }
            int n = (int) Math.min(Math.min(len, remaining), BLOCK.length - pos);
            System.arraycopy(BLOCK, pos, b, off, n);
            pos = (pos + n) % BLOCK.length;
            remaining -= n;
            return n;
        }
    }
}
