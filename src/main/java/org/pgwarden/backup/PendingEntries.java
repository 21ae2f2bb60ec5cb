package org.pgwarden.backup;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.function.Supplier;
import org.pgwarden.repo.ManifestEntry;

/**
 * Keeps one worker's manifest entries in the order its files were handed out. An entry is
 * complete when its file was read and each of its new slices has been placed in a sealed chunk;
 * entries leave strictly in order, so a file whose slices wait in a shared chunk holds back the
 * (already complete) files after it. Used by one thread only.
 */
final class PendingEntries {

    /** Receives complete entries in order. */
    @FunctionalInterface
    interface Sink {
        void accept(long sequence, ManifestEntry entry);
    }

    private final Deque<Handle> queue = new ArrayDeque<>();
    private final Sink sink;

    PendingEntries(Sink sink) {
        this.sink = sink;
    }

    Handle begin(long sequence) {
        Handle h = new Handle(sequence);
        queue.addLast(h);
        return h;
    }

    /** Entries still waiting (bounded by what one chunk can hold). */
    int waiting() {
        return queue.size();
    }

    private void drain() {
        while (!queue.isEmpty() && queue.peekFirst().ready()) {
            Handle h = queue.removeFirst();
            if (!h.skipped) {
                sink.accept(h.sequence, h.entry.get());
            }
        }
    }

    /** One file's progress towards a complete entry. */
    final class Handle {
        private final long sequence;
        private int outstanding;
        private Supplier<ManifestEntry> entry;
        private boolean skipped;

        private Handle(long sequence) {
            this.sequence = sequence;
        }

        void expectOne() {
            outstanding++;
        }

        void placedOne() {
            outstanding--;
            drain();
        }

        /** The file is read; {@code entry} builds the entry once every slice is placed. */
        void complete(Supplier<ManifestEntry> builder) {
            this.entry = builder;
            drain();
        }

        /** The file vanished: no entry. */
        void skip() {
            skipped = true;
            drain();
        }

        private boolean ready() {
            return skipped || (entry != null && outstanding == 0);
        }
    }
}
