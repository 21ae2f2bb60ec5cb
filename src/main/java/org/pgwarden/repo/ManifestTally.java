package org.pgwarden.repo;

/**
 * Checks entries as they stream past and adds up the footer, so writer and reader apply the same
 * rules without holding entries: paths strictly ascending ({@link String#compareTo}, the order of
 * the PGDATA walker), and every chunk stored by this backup or by an earlier one of the same full.
 */
final class ManifestTally {
    private final ManifestHeader header;
    private String lastPath;
    private long entryCount;
    private long totalSize;
    private long storedBytes;
    private long reusedBytes;
    private long invalidPageCount;

    ManifestTally(ManifestHeader header) {
        this.header = header;
    }

    /** Counts {@code entry}; throws {@link IllegalArgumentException} naming the rule it breaks. */
    void add(ManifestEntry entry) {
        if (lastPath != null && entry.path().compareTo(lastPath) <= 0) {
            throw new IllegalArgumentException("manifest entries must be in ascending path order: '" + entry.path()
                    + "' after '" + lastPath + "'");
        }
        for (Slice s : entry.slices()) {
            BackupLabel owner = s.ref().backupLabel();
            if (owner.equals(header.label())) {
                storedBytes += s.length();
            } else if (owner.fullLabel().equals(header.label().fullLabel()) && owner.compareTo(header.label()) < 0) {
                reusedBytes += s.length();
            } else {
                throw new IllegalArgumentException("'" + entry.path() + "' refers to a chunk of backup '" + owner
                        + "', which is neither '" + header.label() + "' nor an earlier backup of full '"
                        + header.label().fullLabel() + "'");
            }
        }
        lastPath = entry.path();
        entryCount++;
        totalSize += entry.size();
        invalidPageCount += entry.invalidPages().size();
    }

    ManifestFooter footer() {
        return new ManifestFooter(entryCount, totalSize, storedBytes, reusedBytes, invalidPageCount);
    }
}
