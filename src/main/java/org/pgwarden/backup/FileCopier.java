package org.pgwarden.backup;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import org.pgwarden.common.ErrorCode;
import org.pgwarden.common.PgwardenException;
import org.pgwarden.job.JobContext;
import org.pgwarden.pg.Lsn;
import org.pgwarden.pg.PageChecksum;
import org.pgwarden.pg.PgDataEntry;
import org.pgwarden.repo.ManifestEntry;
import org.pgwarden.repo.Slice;

/**
 * Copies one file: reads it slice by slice, hashes each slice and the whole file, validates page
 * checksums of relation files, and either reuses the parent backup's slice (same offset, length
 * and SHA-256) or hands the bytes to the {@link ChunkPacker}. Every slice of an incremental backup
 * is thereby compared at block granularity, and the manifest entry it produces is complete.
 */
final class FileCopier {
    static final int PAGE_SIZE = 8192;
    /** Pages per 1 GiB relation segment file: block numbers continue across segment files. */
    private static final long PAGES_PER_SEGMENT = (1L << 30) / PAGE_SIZE;

    private final ChunkPacker packer;
    private final int sliceSize;
    private final Optional<Lsn> checksumsFrom;
    private final BackupCounters counters;
    private final JobContext context;
    private final byte[] slice;
    private final MessageDigest fileDigest = sha256();
    private final MessageDigest sliceDigest = sha256();

    /**
     * @param checksumsFrom the backup's start LSN when the cluster has data checksums (pages
     *                      written after it may be torn mid-copy and are repaired by WAL replay)
     */
    FileCopier(ChunkPacker packer, int sliceSize, Optional<Lsn> checksumsFrom, BackupCounters counters,
            JobContext context) {
        this.packer = packer;
        this.sliceSize = sliceSize;
        this.checksumsFrom = checksumsFrom;
        this.counters = counters;
        this.context = context;
        this.slice = new byte[sliceSize];
    }

    /**
     * Copies {@code entry}; {@code done} receives its manifest entry once every slice is placed
     * (possibly later, when a shared chunk is sealed). A file that vanished is skipped: it was
     * removed by PostgreSQL during the backup, and WAL replay agrees.
     */
    void copy(PgDataEntry entry, ManifestEntry parent, PendingEntries.Handle done) {
        try (FileChannel ch = FileChannel.open(entry.absolute(), StandardOpenOption.READ)) {
            copy(entry, ch, parent, done);
        } catch (NoSuchFileException vanished) {
            done.skip();
        } catch (IOException e) {
            throw new PgwardenException(ErrorCode.PG_PROCESS_FAILED, "unable to read '" + entry.absolute() + "': "
                    + e.getMessage(), e);
        }
    }

    private void copy(PgDataEntry entry, FileChannel ch, ManifestEntry parent, PendingEntries.Handle done)
            throws IOException {
        fileDigest.reset();
        long expected = entry.size();
        List<Slice> parentSlices = parent == null || parent.slices() == null ? List.of() : parent.slices();
        List<Long> invalid = new ArrayList<>();
        List<Slice[]> slots = new ArrayList<>();
        long offset = 0;
        int index = 0;
        while (offset < expected) {
            context.checkCancelled();
            int want = (int) Math.min(sliceSize, expected - offset);
            int got = readFully(ch, slice, want, offset);
            if (got == 0) {
                break; // the file shrank while we read it: copy what is there
            }
            counters.read(got);
            fileDigest.update(slice, 0, got);
            if (entry.relation() && checksumsFrom.isPresent()) {
                validatePages(entry, ch, offset, got, invalid);
            }
            sliceDigest.reset();
            sliceDigest.update(slice, 0, got);
            String sha = HexFormat.of().formatHex(sliceDigest.digest());
            Slice previous = index < parentSlices.size() ? parentSlices.get(index) : null;
            Slice[] slot = new Slice[1];
            slots.add(slot);
            if (previous != null && previous.fileOffset() == offset && previous.length() == got
                    && previous.sha256().equals(sha)) {
                slot[0] = previous;
                counters.reused(got);
            } else {
                long sliceOffset = offset;
                int sliceLength = got;
                done.expectOne();
                packer.add(slice, 0, got, ref -> {
                    slot[0] = new Slice(sliceOffset, sliceLength, sha, ref);
                    done.placedOne();
                });
            }
            offset += got;
            index++;
            if (got < want) {
                break;
            }
        }
        long size = offset;
        String fileSha = HexFormat.of().formatHex(fileDigest.digest());
        if (!invalid.isEmpty()) {
            counters.invalidPages(invalid.size());
        }
        counters.file();
        done.complete(() -> {
            List<Slice> slices = new ArrayList<>(slots.size());
            for (Slice[] s : slots) {
                slices.add(s[0]);
            }
            return new ManifestEntry(entry.path(), ManifestEntry.Type.FILE, size, entry.mtimeMillis(), entry.mode(),
                    null, fileSha, slices, invalid);
        });
    }

    /**
     * Checks every page of the slice just read. A failing page is read again (PostgreSQL may have
     * been writing it); it counts as invalid only if it still fails and was last written before
     * the backup started, because later writes are replayed from WAL anyway.
     */
    private void validatePages(PgDataEntry entry, FileChannel ch, long fileOffset, int length, List<Long> invalid)
            throws IOException {
        long firstBlock = segmentNumber(entry.path()) * PAGES_PER_SEGMENT + fileOffset / PAGE_SIZE;
        for (int at = 0; at + PAGE_SIZE <= length; at += PAGE_SIZE) {
            long block = firstBlock + at / PAGE_SIZE;
            if (PageChecksum.check(slice, at, block).isValid()) {
                continue;
            }
            byte[] again = new byte[PAGE_SIZE];
            if (readFully(ch, again, PAGE_SIZE, fileOffset + at) == PAGE_SIZE) {
                if (PageChecksum.check(again, 0, block).isValid()) {
                    continue;
                }
                if (PageChecksum.pageLsn(again, 0).compareTo(checksumsFrom.get()) >= 0) {
                    continue;
                }
            }
            invalid.add(block);
        }
    }

    /** {@code base/1/1259.3} is segment 3; a path without a suffix is segment 0. */
    static long segmentNumber(String path) {
        int slash = path.lastIndexOf('/');
        int dot = path.lastIndexOf('.');
        if (dot <= slash) {
            return 0;
        }
        try {
            return Long.parseLong(path.substring(dot + 1));
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    private static int readFully(FileChannel ch, byte[] into, int length, long position) throws IOException {
        ByteBuffer buf = ByteBuffer.wrap(into, 0, length);
        int total = 0;
        while (buf.hasRemaining()) {
            int n = ch.read(buf, position + total);
            if (n < 0) {
                break;
            }
            total += n;
        }
        return total;
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
