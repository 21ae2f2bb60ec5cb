package org.pgwarden.config;

import java.nio.file.Path;
import java.util.Locale;
import java.util.Optional;

/**
 * How a restore gets WAL to PostgreSQL and how {@code wal-fetch} serves its {@code restore_command}
 * (YAML section {@code restore:}).
 *
 * @param prefetch         segments fetched ahead in parallel after a segment is served, so the next
 *                         calls only move a local file; {@code 0} turns prefetching off
 * @param spoolDirectory   where prefetched segments wait; a per-stanza subdirectory is used, and it
 *                         holds at most about twice {@code prefetch} segments
 * @param walSource        how a restore configures {@code restore_command}
 * @param stagingDirectory where {@code prestage} puts WAL; empty: {@code pgwarden-wal} inside the
 *                         restored data directory (same file system as {@code pg_wal}, so serving a
 *                         staged file is a rename)
 */
public record WalFetchConfig(int prefetch, Path spoolDirectory, WalSource walSource, Optional<Path> stagingDirectory) {
    /**
     * {@code fetch}: recovery fetches each segment from the repository when it asks (with
     * prefetching); {@code prestage}: restore downloads the WAL recovery needs before PostgreSQL
     * starts, and recovery reads it locally.
     */
    public enum WalSource {
        FETCH, PRESTAGE;

        public String text() {
            return name().toLowerCase(Locale.ROOT);
        }

        /** Parses {@code fetch} or {@code prestage}; anything else is an {@link IllegalArgumentException}. */
        public static WalSource parse(String text) {
            for (WalSource s : values()) {
                if (s.text().equals(text)) {
                    return s;
                }
            }
            throw new IllegalArgumentException("'" + text + "' is not fetch or prestage");
        }
    }

    /** Enough to hide the per-call repository round trip; memory is not involved (segments stream to disk). */
    public static final int DEFAULT_PREFETCH = 8;

    static WalFetchConfig bind(ConfigNode n) {
        int prefetch = n.integer("wal-prefetch", DEFAULT_PREFETCH, 0, 64);
        Path spool = n.path("spool-directory", Path.of(System.getProperty("java.io.tmpdir")), false);
        WalSource source = n.choice("wal-source", WalSource.FETCH, WalSource.class);
        Optional<Path> staging = Optional.ofNullable(n.path("staging-directory", null, false));
        n.done();
        return new WalFetchConfig(prefetch, spool, source, staging);
    }

    public static WalFetchConfig defaults() {
        return new WalFetchConfig(DEFAULT_PREFETCH, Path.of(System.getProperty("java.io.tmpdir")), WalSource.FETCH,
                Optional.empty());
    }
}
