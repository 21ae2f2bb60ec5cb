package org.pgwarden.drill;

import org.pgwarden.common.ErrorCode;
import org.pgwarden.common.PgwardenException;
import org.pgwarden.repo.BackupLabel;

/**
 * Which backup a drill restores: the one restore would choose for the target ({@code latest}), a
 * named one, or one picked at random among those that end before the target. Random drills
 * exercise old backups and long WAL replays too, which drilling only the newest never does.
 */
public sealed interface BackupPick {
    /** The backup restore chooses for the target: the newest that ends before it. */
    record Latest() implements BackupPick {
        @Override
        public String toString() {
            return "latest";
        }
    }

    /** A backup drawn at random among the committed ones that end before the target. */
    record Random() implements BackupPick {
        @Override
        public String toString() {
            return "random";
        }
    }

    /** Exactly this backup. */
    record Named(BackupLabel label) implements BackupPick {
        @Override
        public String toString() {
            return label.toString();
        }
    }

    static BackupPick latest() {
        return new Latest();
    }

    /**
     * {@code latest}, {@code random} or a backup label; {@code null} is {@code latest}.
     *
     * @param field how the caller names the value in a usage error ({@code --set}, {@code parameter 'set'})
     */
    static BackupPick parse(String text, String field) {
        if (text == null || text.equals("latest")) {
            return new Latest();
        }
        if (text.equals("random")) {
            return new Random();
        }
        if (!BackupLabel.isValid(text)) {
            throw new PgwardenException(ErrorCode.USAGE, field + " '" + text
                    + "' is not a backup label (e.g. 20261124-020000F), 'latest' or 'random'");
        }
        return new Named(BackupLabel.parse(text));
    }
}
