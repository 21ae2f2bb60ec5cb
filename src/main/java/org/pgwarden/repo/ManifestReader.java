package org.pgwarden.repo;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;
import org.pgwarden.common.ErrorCode;
import org.pgwarden.common.PgwardenException;
import org.pgwarden.crypto.UnsealingInputStream;
import org.pgwarden.storage.ObjectKey;

/**
 * Reads a manifest as a stream: the header when opened, then entries one at a time, then the
 * footer, which is checked against totals recomputed from the entries. Memory does not depend on
 * the number of entries. The sealed object already refuses tampering and truncation; this class
 * refuses content that is malformed, out of order, refers outside its backup chain, lacks its
 * footer or disagrees with it ({@code INTEGRITY_MANIFEST}, {@code INTEGRITY_TRUNCATED} for a
 * missing footer). An entry is only trustworthy as part of a manifest whose footer was verified:
 * consumers read to the end before acting on the whole.
 */
public final class ManifestReader implements AutoCloseable, Iterable<ManifestEntry> {
    /** How every entry line starts, as {@link ManifestJson} writes it. */
    private static final String ENTRY_LINE_START = "{\"" + ManifestJson.ENTRY + "\":";

    private final ObjectKey key;
    private final UnsealingInputStream sealed;
    private final BufferedReader lines;
    private final ManifestHeader header;
    private final ManifestTally tally;
    private long lineNumber;
    private ManifestEntry next;
    private ManifestFooter footer;
    private boolean iterated;

    private ManifestReader(SealedObjects objects, BackupLabel label) {
        this.key = RepositoryLayout.manifest(label);
        this.sealed = objects.open(key);
        this.lines = new BufferedReader(new InputStreamReader(sealed, StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT)));
        try {
            ManifestJson.Line first = nextLine();
            if (first == null || !first.kind().equals(ManifestJson.HEADER)) {
                throw corrupt("the first line is not the header");
            }
            this.header = parse(() -> ManifestJson.header(first.body()));
            if (!header.label().equals(label)) {
                throw corrupt("it describes backup '" + header.label() + "', not '" + label + "'");
            }
            this.tally = new ManifestTally(header);
        } catch (RuntimeException e) {
            closeQuietly(e);
            throw e;
        }
    }

    /** Opens the manifest of {@code label} and reads its header; {@code REPO_OBJECT_MISSING} when absent. */
    public static ManifestReader open(SealedObjects objects, BackupLabel label) {
        return new ManifestReader(objects, label);
    }

    public ManifestHeader header() {
        return header;
    }

    /** The entries in path order, read as the iterator advances; only one pass. */
    @Override
    public Iterator<ManifestEntry> iterator() {
        if (iterated) {
            throw new IllegalStateException("manifest '" + key + "' can be read only once");
        }
        iterated = true;
        return new Iterator<>() {
            @Override
            public boolean hasNext() {
                return advance();
            }

            @Override
            public ManifestEntry next() {
                if (!advance()) {
                    throw new NoSuchElementException();
                }
                ManifestEntry e = next;
                next = null;
                return e;
            }
        };
    }

    /** The entries as a sequential stream, see {@link #iterator()}. */
    public Stream<ManifestEntry> entries() {
        return StreamSupport.stream(Spliterators.spliteratorUnknownSize(iterator(),
                Spliterator.ORDERED | Spliterator.NONNULL | Spliterator.DISTINCT), false);
    }

    /**
     * The verified footer. Reads (and checks) any entries not consumed yet, so it can also be used
     * to verify a manifest without looking at its entries.
     */
    public ManifestFooter footer() {
        if (footer == null) {
            iterated = true;
            while (advance()) {
                next = null;
            }
        }
        return footer;
    }

    /**
     * The footer, reached without parsing entries: for listing backups, where parsing every entry
     * of every manifest would cost seconds per million files. Checks only that the footer comes
     * last and counts as many entries as there are entry lines; {@link #footer()} checks everything.
     */
    ManifestFooter footerSkippingEntries() {
        if (iterated) {
            throw new IllegalStateException("manifest '" + key + "' can be read only once");
        }
        iterated = true;
        long entries = 0;
        while (true) {
            String text = readLine();
            if (text == null) {
                throw missingFooter();
            }
            if (text.startsWith(ENTRY_LINE_START)) {
                entries++;
                continue;
            }
            ManifestJson.Line line = parse(() -> ManifestJson.parse(text));
            if (!line.kind().equals(ManifestJson.FOOTER)) {
                throw corrupt("line " + lineNumber + ": expected an entry or the footer");
            }
            ManifestFooter stated = parse(() -> ManifestJson.footer(line.body()));
            if (stated.entryCount() != entries) {
                throw corrupt("its footer counts " + stated.entryCount() + " entries but it has " + entries);
            }
            if (readLine() != null) {
                throw corrupt("there is content after the footer");
            }
            footer = stated;
            return stated;
        }
    }

    /** Reads the next entry into {@code next}; false once the footer has been read and checked. */
    private boolean advance() {
        if (next != null) {
            return true;
        }
        if (footer != null) {
            return false;
        }
        ManifestJson.Line line = nextLine();
        if (line == null) {
            throw missingFooter();
        }
        switch (line.kind()) {
            case ManifestJson.ENTRY -> {
                ManifestEntry e = parse(() -> ManifestJson.entry(line.body()));
                parse(() -> {
                    tally.add(e);
                    return e;
                });
                next = e;
                return true;
            }
            case ManifestJson.FOOTER -> {
                ManifestFooter stated = parse(() -> ManifestJson.footer(line.body()));
                ManifestFooter counted = tally.footer();
                if (!stated.equals(counted)) {
                    throw corrupt("its footer says " + stated + " but its entries add up to " + counted);
                }
                if (nextLine() != null) {
                    throw corrupt("there is content after the footer");
                }
                footer = stated;
                return false;
            }
            default -> throw corrupt("a second header");
        }
    }

    private ManifestJson.Line nextLine() {
        String text = readLine();
        return text == null ? null : parse(() -> ManifestJson.parse(text));
    }

    private String readLine() {
        String text;
        try {
            text = lines.readLine();
        } catch (CharacterCodingException e) {
            throw corrupt("line " + (lineNumber + 1) + " is not UTF-8");
        } catch (IOException e) {
            throw new PgwardenException(ErrorCode.REPO_IO, "unable to read manifest '" + key + "'", e);
        }
        if (text != null) {
            lineNumber++;
        }
        return text;
    }

    private PgwardenException missingFooter() {
        return new PgwardenException(ErrorCode.INTEGRITY_TRUNCATED, "manifest '" + key + "' ends after "
                + lineNumber + " lines without its footer: the backup was never completed",
                "this manifest cannot be trusted; take a new backup", null);
    }

    private <T> T parse(java.util.function.Supplier<T> step) {
        try {
            return step.get();
        } catch (IllegalArgumentException | NullPointerException e) {
            throw corrupt("line " + lineNumber + ": " + e.getMessage());
        }
    }

    private PgwardenException corrupt(String why) {
        return new PgwardenException(ErrorCode.INTEGRITY_MANIFEST, "manifest '" + key + "' is invalid: " + why,
                "the manifest authenticated, so it was written like this; report it as a bug and take a new backup",
                null);
    }

    @Override
    public void close() {
        try {
            lines.close();
        } catch (IOException e) {
            throw new PgwardenException(ErrorCode.REPO_IO, "unable to close manifest '" + key + "'", e);
        }
    }

    private void closeQuietly(RuntimeException primary) {
        try {
            lines.close();
        } catch (IOException | RuntimeException e) {
            primary.addSuppressed(e);
        }
    }
}
