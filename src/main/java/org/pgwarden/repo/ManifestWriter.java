package org.pgwarden.repo;

import java.io.IOException;
import java.util.Objects;
import org.pgwarden.common.ErrorCode;
import org.pgwarden.common.PgwardenException;
import org.pgwarden.crypto.SealResult;
import org.pgwarden.crypto.SealingKey;
import org.pgwarden.storage.ObjectKey;

/**
 * Writes a backup's manifest as it is built, with memory independent of the number of entries: a
 * header line, one line per entry as it is added, and a footer line on {@link #commit()}. The
 * manifest is one sealed object under {@code backup/<label>/manifest} that becomes visible only when
 * {@link #commit()} returns, which is what makes the backup exist; commit it after every data object
 * it refers to is stored. Closing without committing abandons it and stores nothing.
 *
 * <p>Entries must arrive in strictly ascending path order ({@link String#compareTo} on
 * {@code /}-separated paths, the order of the PGDATA walker); anything else is a bug in the caller
 * and is refused with {@link IllegalArgumentException} before it is written.
 *
 * <p>Not thread-safe: one thread adds entries.
 */
public final class ManifestWriter implements AutoCloseable {
    private final ManifestHeader header;
    private final ObjectKey key;
    private final StreamingPut<SealResult> out;
    private final ManifestTally tally;
    private ManifestFooter footer;
    private boolean closed;

    private ManifestWriter(SealedObjects objects, ManifestHeader header, SealingKey dataKey) {
        this.header = Objects.requireNonNull(header, "header");
        this.key = RepositoryLayout.manifest(header.label());
        this.tally = new ManifestTally(header);
        this.out = new StreamingPut<>(key, in -> dataKey == null ? objects.put(key, in) : objects.put(key, in, dataKey));
        write(ManifestJson.headerLine(header));
    }

    /** Starts the manifest of {@code header.label()}, sealed under the keyring's current data key. */
    public static ManifestWriter open(SealedObjects objects, ManifestHeader header) {
        return new ManifestWriter(objects, header, null);
    }

    /** Starts the manifest of {@code header.label()}, sealed under {@code dataKey} (the backup's own key). */
    public static ManifestWriter open(SealedObjects objects, ManifestHeader header, SealingKey dataKey) {
        return new ManifestWriter(objects, header, Objects.requireNonNull(dataKey, "dataKey"));
    }

    public ManifestHeader header() {
        return header;
    }

    /** Appends {@code entry}; its path must sort after the previous one. */
    public void add(ManifestEntry entry) {
        requireOpen();
        tally.add(Objects.requireNonNull(entry, "entry"));
        write(ManifestJson.entryLine(entry));
    }

    /**
     * Writes the footer and stores the manifest; the backup exists once this returns. The result
     * gives the manifest's sizes and plaintext SHA-256.
     */
    public SealResult commit() {
        requireOpen();
        ManifestFooter f = tally.footer();
        write(ManifestJson.footerLine(f));
        closed = true;
        SealResult result = out.finish();
        footer = f;
        return result;
    }

    /** The footer written by {@link #commit()}. */
    public ManifestFooter footer() {
        if (footer == null) {
            throw new IllegalStateException("manifest '" + key + "' is not committed");
        }
        return footer;
    }

    /** Abandons the manifest unless it was committed: nothing is stored. */
    @Override
    public void close() {
        closed = true;
        out.abort();
    }

    private void requireOpen() {
        if (closed) {
            throw new IllegalStateException("manifest '" + key + "' is already committed or closed");
        }
    }

    private void write(byte[] line) {
        try {
            out.write(line);
        } catch (IOException e) {
            // The put stopped early; its own failure is the one worth reporting.
            closed = true;
            RuntimeException cause = finishQuietly();
            if (cause instanceof PgwardenException pe) {
                throw pe;
            }
            throw new PgwardenException(ErrorCode.REPO_IO, "unable to write manifest '" + key + "'",
                    cause != null ? cause : e);
        }
    }

    private RuntimeException finishQuietly() {
        out.abort();
        return out.failure();
    }
}
