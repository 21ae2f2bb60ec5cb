package org.pgwarden.config;

import java.nio.file.Path;
import java.time.Duration;
import org.pgwarden.common.ByteSize;

/**
 * How physical backups are taken.
 *
 * @param parallelism        files read, compressed, encrypted and uploaded at once
 * @param sliceSize          granularity of block-level increments: a changed slice of a file is
 *                           stored again, an unchanged one is referenced from the parent backup
 * @param chunkSize          plaintext sealed together; small files share a chunk
 * @param bundleSize         size at which a bundle object is closed and a new one started
 * @param fastStart          ask PostgreSQL for an immediate checkpoint instead of a spread one
 * @param archiveTimeout     how long to wait for the WAL that makes the backup consistent
 * @param spoolDirectory     local scratch space for manifest entries while a backup runs
 * @param failOnPageErrors   fail the backup on a page checksum error instead of reporting it
 */
public record BackupConfig(int parallelism, int sliceSize, int chunkSize, long bundleSize, boolean fastStart,
        Duration archiveTimeout, Path spoolDirectory, boolean failOnPageErrors) {

    static BackupConfig bind(ConfigNode n) {
        int parallelism = n.integer("parallelism", 2, 1, 64);
        ByteSize slice = n.size("slice-size", ByteSize.ofKiB(128), ByteSize.ofKiB(8), ByteSize.ofMiB(16));
        ByteSize chunk = n.size("chunk-size", ByteSize.ofMiB(1), ByteSize.ofKiB(8), ByteSize.ofMiB(64));
        ByteSize bundle = n.size("bundle-size", ByteSize.ofMiB(64), ByteSize.ofMiB(1), ByteSize.parse("4GiB"));
        if (slice != null && slice.bytes() % 8192 != 0) {
            n.problem("slice-size", "must be a multiple of the 8KiB page size, got " + slice);
        }
        if (slice != null && chunk != null && chunk.compareTo(slice) < 0) {
            n.problem("chunk-size", "must be at least slice-size (" + slice + "), got " + chunk);
        }
        boolean fast = n.bool("fast-start", false);
        Duration timeout = n.duration("archive-timeout", Duration.ofSeconds(60), Duration.ofSeconds(1));
        Path spool = n.path("spool-directory", Path.of(System.getProperty("java.io.tmpdir")), false);
        boolean fail = n.choice("page-checksum-errors", PageErrors.REPORT, PageErrors.class) == PageErrors.FAIL;
        n.done();
        return new BackupConfig(parallelism, slice == null ? 131072 : (int) slice.bytes(),
                chunk == null ? 1 << 20 : (int) chunk.bytes(), bundle == null ? 64L << 20 : bundle.bytes(), fast,
                timeout, spool, fail);
    }

    /** What a page checksum error does to the backup. */
    public enum PageErrors { REPORT, FAIL }

    /** Defaults, for code paths that build a backup without a configuration file. */
    public static BackupConfig defaults() {
        return new BackupConfig(2, 131072, 1 << 20, 64L << 20, false, Duration.ofSeconds(60),
                Path.of(System.getProperty("java.io.tmpdir")), false);
    }
}
