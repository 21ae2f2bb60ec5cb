package org.pgwarden.repo;

import java.util.Objects;

/**
 * A contiguous range {@code [fileOffset, fileOffset + length)} of one file, with the SHA-256 of its
 * plaintext and where it is stored. For a relation file split into blocks, the slices' checksums
 * are the per-block checksum map an incremental backup compares against.
 */
public record Slice(long fileOffset, long length, String sha256, ChunkRef ref) {
    public Slice {
        ManifestRules.notNegative("slice file offset", fileOffset);
        ManifestRules.positive("slice length", length);
        ManifestRules.sha256("slice sha256", sha256);
        Objects.requireNonNull(ref, "ref");
    }

    /** The first byte after this slice. */
    public long end() {
        return fileOffset + length;
    }
}
