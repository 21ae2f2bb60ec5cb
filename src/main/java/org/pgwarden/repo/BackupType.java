package org.pgwarden.repo;

import org.pgwarden.common.ErrorCode;
import org.pgwarden.common.PgwardenException;

/**
 * What a backup holds. A full is self-contained; a differential stores what changed since the
 * last full; an incremental stores what changed since the latest backup of any type. The letter
 * ends the backup's label and is written in manifests.
 */
public enum BackupType {
    FULL('F'),
    DIFF('D'),
    INCR('I');

    private final char letter;

    BackupType(char letter) {
        this.letter = letter;
    }

    public char letter() {
        return letter;
    }

    /** The type whose label letter is {@code letter}. */
    public static BackupType ofLetter(char letter) {
        for (BackupType t : values()) {
            if (t.letter == letter) {
                return t;
            }
        }
        throw new PgwardenException(ErrorCode.BACKUP_LABEL_INVALID, "unknown backup type '" + letter
                + "': expected 'F' (full), 'D' (diff) or 'I' (incr)");
    }
}
