package org.pgwarden.repo;

import java.util.Objects;

/**
 * One committed backup as the catalog sees it.
 *
 * @param storedBytes bytes of the objects under the backup's own prefix as stored (sealed),
 *                    manifest included: what deleting this backup alone would free
 */
public record BackupInfo(ManifestHeader header, ManifestFooter footer, long storedBytes) {
    public BackupInfo {
        Objects.requireNonNull(header, "header");
        Objects.requireNonNull(footer, "footer");
    }

    public BackupLabel label() {
        return header.label();
    }
}
