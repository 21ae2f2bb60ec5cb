package org.pgwarden.backup;

import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.PriorityQueue;
import java.util.function.Consumer;
import org.pgwarden.repo.ManifestEntry;
import org.pgwarden.repo.ManifestEntryLines;

/**
 * Manifest entries written by several workers, each in increasing sequence, kept in local temp
 * files until the backup ends (the manifest header needs the stop position, known only then).
 * {@link #replay} merges them back into walk order holding one line per worker in memory, so
 * the file count never decides the memory used.
 */
final class EntrySpool implements AutoCloseable {
    private final Path directory;
    private final List<Path> files = new ArrayList<>();

    EntrySpool(Path parent) {
        try {
            this.directory = Files.createTempDirectory(Files.createDirectories(parent), "pgwarden-spool-");
        } catch (IOException e) {
            throw new UncheckedIOException("unable to create a spool directory in '" + parent + "'", e);
        }
    }

    /** A writer for one worker; entries must be given in increasing sequence. */
    synchronized Writer newWriter() {
        Path file = directory.resolve("entries-" + files.size() + ".jsonl");
        files.add(file);
        try {
            return new Writer(Files.newBufferedWriter(file, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException("unable to create '" + file + "'", e);
        }
    }

    /** One worker's spool file. */
    static final class Writer implements AutoCloseable, PendingEntries.Sink {
        private final BufferedWriter out;
        private long last = -1;

        private Writer(BufferedWriter out) {
            this.out = out;
        }

        @Override
        public void accept(long sequence, ManifestEntry entry) {
            if (sequence <= last) {
                throw new IllegalStateException("spool sequence " + sequence + " after " + last);
            }
            last = sequence;
            try {
                out.write(Long.toString(sequence));
                out.write('\t');
                out.write(ManifestEntryLines.format(entry));
                out.write('\n');
            } catch (IOException e) {
                throw new UncheckedIOException("unable to write the entry spool", e);
            }
        }

        @Override
        public void close() {
            try {
                out.close();
            } catch (IOException e) {
                throw new UncheckedIOException("unable to close the entry spool", e);
            }
        }
    }

    /** Every spooled entry, in sequence order. */
    void replay(Consumer<ManifestEntry> consumer) {
        record Head(long sequence, String json, BufferedReader reader) {
        }
        PriorityQueue<Head> heads = new PriorityQueue<>(Comparator.comparingLong(Head::sequence));
        List<BufferedReader> readers = new ArrayList<>();
        try {
            for (Path f : files) {
                BufferedReader r = Files.newBufferedReader(f, StandardCharsets.UTF_8);
                readers.add(r);
                String line = r.readLine();
                if (line != null) {
                    int tab = line.indexOf('\t');
                    heads.add(new Head(Long.parseLong(line.substring(0, tab)), line.substring(tab + 1), r));
                }
            }
            while (!heads.isEmpty()) {
                Head h = heads.poll();
                consumer.accept(ManifestEntryLines.parse(h.json()));
                String line = h.reader().readLine();
                if (line != null) {
                    int tab = line.indexOf('\t');
                    heads.add(new Head(Long.parseLong(line.substring(0, tab)), line.substring(tab + 1), h.reader()));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("unable to read the entry spool in '" + directory + "'", e);
        } finally {
            for (BufferedReader r : readers) {
                try {
                    r.close();
                } catch (IOException ignored) {
                    // reading is over; a close failure loses nothing
                }
            }
        }
    }

    @Override
    public void close() {
        try (var listing = Files.list(directory)) {
            for (Path p : listing.toList()) {
                Files.deleteIfExists(p);
            }
            Files.deleteIfExists(directory);
        } catch (IOException e) {
            throw new UncheckedIOException("unable to remove the spool directory '" + directory + "'", e);
        }
    }
}
