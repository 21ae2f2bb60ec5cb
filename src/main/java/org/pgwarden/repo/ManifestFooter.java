package org.pgwarden.repo;

/**
 * Totals written as the last line of a manifest. A manifest without one was never finished; a
 * reader recomputes every field from the entries and refuses a manifest that disagrees.
 *
 * @param entryCount       entries in the manifest
 * @param totalSize        sum of file sizes: what a restore writes
 * @param storedBytes      plaintext bytes of slices stored by this backup
 * @param reusedBytes      plaintext bytes of slices referring to chunks of earlier backups
 * @param invalidPageCount pages whose checksum failed, over all files
 */
public record ManifestFooter(long entryCount, long totalSize, long storedBytes, long reusedBytes,
        long invalidPageCount) {
    public ManifestFooter {
        ManifestRules.notNegative("entry count", entryCount);
        ManifestRules.notNegative("total size", totalSize);
        ManifestRules.notNegative("stored bytes", storedBytes);
        ManifestRules.notNegative("reused bytes", reusedBytes);
        ManifestRules.notNegative("invalid page count", invalidPageCount);
    }
}
