package org.pgwarden.backup;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.function.IntSupplier;
import org.pgwarden.crypto.SealingKey;
import org.pgwarden.repo.BackupLabel;
import org.pgwarden.repo.ChunkRef;
import org.pgwarden.repo.SealedObjects;
import org.pgwarden.crypto.SealingOutputStream;
import org.pgwarden.repo.RepositoryLayout;
import org.pgwarden.storage.ObjectStore;

/**
 * Packs slices of file content into chunks and chunks into bundle objects, for one worker.
 * Small files share a chunk; a chunk is sealed when it reaches the chunk size, and the bundle is
 * finished when it reaches the bundle size. A slice's location is known only once its chunk is
 * sealed, so callers get it through {@link Placement} callbacks run at that moment.
 */
final class ChunkPacker implements AutoCloseable {

    /** Told where a slice landed, once its chunk is sealed. */
    @FunctionalInterface
    interface Placement {
        void placed(ChunkRef ref);
    }

    private final ObjectStore store;
    private final SealedObjects objects;
    private final SealingKey dataKey;
    private final BackupLabel label;
    private final IntSupplier bundleNumbers;
    private final ExecutorService uploads;
    private final int chunkSize;
    private final long bundleSize;
    private final BackupCounters counters;

    private final byte[] buffer;
    private int used;
    private final List<Pending> pending = new ArrayList<>();
    private BundleWriter bundle;

    private record Pending(int sliceOffset, Placement placement) {
    }

    /**
     * Slices per chunk at most: tiny files would otherwise fill a chunk with hundreds of thousands
     * of slices, each holding back a pending manifest entry, and memory would follow the file count.
     */
    static final int MAX_SLICES_PER_CHUNK = 1024;

    ChunkPacker(ObjectStore store, SealedObjects objects, SealingKey dataKey, BackupLabel label, IntSupplier bundleNumbers,
            ExecutorService uploads, int chunkSize, long bundleSize, BackupCounters counters) {
        this.store = store;
        this.objects = objects;
        this.dataKey = dataKey;
        this.label = label;
        this.bundleNumbers = bundleNumbers;
        this.uploads = uploads;
        this.chunkSize = chunkSize;
        this.bundleSize = bundleSize;
        this.counters = counters;
        this.buffer = new byte[chunkSize];
    }

    /**
     * Adds {@code length} bytes of a slice; {@code placement} runs when the chunk holding it is
     * sealed. A slice never spans chunks: it must be at most the chunk size.
     */
    void add(byte[] data, int offset, int length, Placement placement) {
        if (length > chunkSize) {
            throw new IllegalArgumentException("slice of " + length + " bytes exceeds the chunk size " + chunkSize);
        }
        if (used + length > chunkSize || pending.size() >= MAX_SLICES_PER_CHUNK) {
            flushChunk();
        }
        System.arraycopy(data, offset, buffer, used, length);
        pending.add(new Pending(used, placement));
        used += length;
    }

    /** Seals the current chunk (if any) and appends it to the current bundle. */
    void flushChunk() {
        if (pending.isEmpty()) {
            return;
        }
        if (bundle == null) {
            bundle = new BundleWriter(store, RepositoryLayout.bundle(label, bundleNumbers.getAsInt()), uploads);
        }
        long at = bundle.offset();
        byte[] sealed = seal(at);
        bundle.append(sealed);
        counters.stored(sealed.length);
        for (Pending p : pending) {
            p.placement().placed(new ChunkRef(label, bundle.key(), at, sealed.length, p.sliceOffset()));
        }
        pending.clear();
        used = 0;
        if (bundle.offset() >= bundleSize) {
            bundle.finish();
            bundle = null;
        }
    }

    private byte[] seal(long at) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(used / 2 + 512);
        try (SealingOutputStream sealing = objects.sealChunk(out, bundle.key(), at, dataKey)) {
            sealing.write(buffer, 0, used);
        } catch (IOException e) {
            throw new UncheckedIOException("unable to seal a chunk of '" + bundle.key() + "'", e);
        }
        return out.toByteArray();
    }

    /** Seals what is pending and finishes the bundle, so every placement has run and is durable. */
    void finish() {
        flushChunk();
        if (bundle != null) {
            bundle.finish();
            bundle = null;
        }
    }

    /** Abandons the bundle being written: nothing of it becomes visible. */
    void abort(Throwable cause) {
        pending.clear();
        used = 0;
        if (bundle != null) {
            bundle.abort(cause);
            bundle = null;
        }
    }

    @Override
    public void close() {
        abort(new IllegalStateException("closed before finishing"));
    }
}
