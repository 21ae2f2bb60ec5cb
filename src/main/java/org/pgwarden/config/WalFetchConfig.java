package org.pgwarden.config;

import java.nio.file.Path;

/**
 * How {@code wal-fetch} serves PostgreSQL's {@code restore_command} (YAML section {@code restore:}).
 *
 * @param prefetch       segments fetched ahead in parallel after a segment is served, so the next
 *                       calls only move a local file; {@code 0} turns prefetching off
 * @param spoolDirectory where prefetched segments wait; a per-stanza subdirectory is used, and it
 *                       holds at most about twice {@code prefetch} segments
 */
public record WalFetchConfig(int prefetch, Path spoolDirectory) {
    /** Enough to hide the per-call repository round trip; memory is not involved (segments stream to disk). */
    public static final int DEFAULT_PREFETCH = 8;

    static WalFetchConfig bind(ConfigNode n) {
        int prefetch = n.integer("wal-prefetch", DEFAULT_PREFETCH, 0, 64);
        Path spool = n.path("spool-directory", Path.of(System.getProperty("java.io.tmpdir")), false);
        n.done();
        return new WalFetchConfig(prefetch, spool);
    }

    public static WalFetchConfig defaults() {
        return new WalFetchConfig(DEFAULT_PREFETCH, Path.of(System.getProperty("java.io.tmpdir")));
    }
}
