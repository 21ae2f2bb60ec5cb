package org.pgwarden.repo;

import java.util.Objects;
import org.pgwarden.storage.ObjectKey;

/**
 * Where a slice's bytes are stored: a chunk (one independently sealed object) at
 * {@code [chunkOffset, chunkOffset + chunkLength)} inside a bundle object of backup
 * {@code backupLabel}, and where the slice starts in that chunk's plaintext. Restore reads the
 * range, unseals it under {@link RepositoryLayout#chunkIdentity} and skips {@code sliceOffset}
 * bytes. Several slices may share one chunk (small files are grouped).
 *
 * @param backupLabel the backup that stored the chunk (this backup, or an ancestor for reused data)
 * @param object      the bundle object; must be a bundle of {@code backupLabel}
 */
public record ChunkRef(BackupLabel backupLabel, ObjectKey object, long chunkOffset, long chunkLength,
        long sliceOffset) {
    public ChunkRef {
        Objects.requireNonNull(backupLabel, "backupLabel");
        Objects.requireNonNull(object, "object");
        if (!RepositoryLayout.isBundleOf(object, backupLabel)) {
            throw new IllegalArgumentException("chunk object '" + object + "' is not a bundle of backup '"
                    + backupLabel + "': expected '" + RepositoryLayout.dataPrefix(backupLabel) + "<n>'");
        }
        ManifestRules.notNegative("chunk offset", chunkOffset);
        ManifestRules.positive("chunk length", chunkLength);
        ManifestRules.notNegative("slice offset", sliceOffset);
    }

    /** The key the chunk was sealed under, see {@link RepositoryLayout#chunkIdentity}. */
    public ObjectKey identity() {
        return RepositoryLayout.chunkIdentity(object, chunkOffset);
    }
}
