package org.pgwarden.repo;

import java.time.Instant;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * Which cluster a repository belongs to, stored in {@code stanza.json} when the stanza is created.
 * Backups and WAL pushes are checked against it, so a repository never mixes two clusters.
 *
 * @param systemIdentifier the cluster's {@code system_identifier} from {@code pg_control_system()}
 * @param pgMajor          PostgreSQL major version, e.g. {@code 15}
 * @param walSegmentSize   bytes per WAL segment
 * @param blockSize        PostgreSQL's page size ({@code block_size}), in bytes
 * @param repositoryFormat version of this repository's layout; {@value #CURRENT_FORMAT} today
 */
public record StanzaInfo(String stanza, long systemIdentifier, int pgMajor, int walSegmentSize, int blockSize,
        int repositoryFormat, Instant createdAt) {
    public static final int CURRENT_FORMAT = 1;
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,63}");

    public StanzaInfo {
        if (stanza == null || !NAME.matcher(stanza).matches()) {
            throw new IllegalArgumentException("invalid stanza name '" + stanza
                    + "': expected 1..64 letters, digits, '_', '.' or '-', starting with a letter or digit");
        }
        ManifestRules.positive("PostgreSQL major version", pgMajor);
        ManifestRules.positive("WAL segment size", walSegmentSize);
        ManifestRules.positive("block size", blockSize);
        ManifestRules.positive("repository format", repositoryFormat);
        Objects.requireNonNull(createdAt, "createdAt");
    }

    /** A stanza in the current repository format. */
    public static StanzaInfo of(String stanza, long systemIdentifier, int pgMajor, int walSegmentSize, int blockSize,
            Instant createdAt) {
        return new StanzaInfo(stanza, systemIdentifier, pgMajor, walSegmentSize, blockSize, CURRENT_FORMAT, createdAt);
    }
}
