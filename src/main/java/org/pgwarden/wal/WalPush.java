package org.pgwarden.wal;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Optional;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.pgwarden.codec.Codec;
import org.pgwarden.common.ErrorCode;
import org.pgwarden.common.PgwardenException;
import org.pgwarden.metrics.MeterNames;
import org.pgwarden.metrics.Metrics;
import org.pgwarden.repo.SealedObjects;
import org.pgwarden.repo.StanzaInfo;
import org.pgwarden.repo.WalArchiveIndex;
import org.pgwarden.storage.ObjectInfo;

/**
 * Archives one WAL file into the repository, as {@code archive_command} asks. A file already
 * archived with the same content is a success (PostgreSQL retries after a crash); with different
 * content it is an error and the archived copy is never replaced. A segment from another cluster
 * (system identifier) or of the wrong size is refused before anything is written.
 *
 * <p>A file of up to {@value #DEFAULT_IN_MEMORY_LIMIT} bytes (every segment of the default
 * 16 MiB size) is read once, into a buffer kept for the next push: its header and digest come from
 * it, and it is compressed in one call into a second kept buffer, which is encrypted and stored.
 * That saves a second read (the object is named by the digest, so the file was read to hash it,
 * then again to seal it) and the streaming compressor's block copies: together about a tenth of
 * a push's CPU. Larger files are read twice and streamed.
 */
public final class WalPush {
    /** XLogLongPageHeaderData: the first page of every segment carries the cluster's identity. */
    private static final int XLP_LONG_HEADER = 0x0002;
    private static final int LONG_HEADER_SIZE = 40;
    static final int DEFAULT_IN_MEMORY_LIMIT = 64 << 20;
    /** Largest single read of a segment into memory (see {@link #readFully}). */
    static final int READ_CHUNK = 1 << 20;
    /**
     * Buffers of each kind kept between pushes: one per push-ahead worker at the default of two.
     * With 16 MiB segments that is at most 64 MiB of the heap in all; more pushes at once
     * allocate for the time of the push.
     */
    private static final int SPARE_BUFFERS = 2;

    private final SealedObjects objects;
    private final WalArchiveIndex index;
    private final StanzaInfo stanza;
    private final Metrics metrics;
    private final int inMemoryLimit;
    private final Queue<byte[]> spare = new ConcurrentLinkedQueue<>();
    private final Queue<byte[]> spareCompressed = new ConcurrentLinkedQueue<>();

    public WalPush(SealedObjects objects, WalArchiveIndex index, StanzaInfo stanza, Metrics metrics) {
        this(objects, index, stanza, metrics, DEFAULT_IN_MEMORY_LIMIT);
    }

    WalPush(SealedObjects objects, WalArchiveIndex index, StanzaInfo stanza, Metrics metrics, int inMemoryLimit) {
        this.objects = objects;
        this.index = index;
        this.stanza = stanza;
        this.metrics = metrics;
        this.inMemoryLimit = inMemoryLimit;
    }

    /** What happened to one file. */
    public record Result(String name, boolean alreadyArchived, long bytes, String sha256) {
    }

    public Result push(Path file) {
        String name = file.getFileName().toString();
        if (!WalArchiveIndex.isWalFileName(name)) {
            throw new PgwardenException(ErrorCode.WAL_INVALID, "'" + file + "' is not a WAL file name",
                    "archive_command must pass %p, the path of the file PostgreSQL asks to archive", null);
        }
        byte[] content = null;
        byte[] compressed = null;
        try {
            boolean segment = name.length() == 24 || name.endsWith(".partial");
            long size = Files.size(file);
            if (segment && size != stanza.walSegmentSize()) {
                throw new PgwardenException(ErrorCode.WAL_INVALID, "WAL segment '" + name + "' is " + size
                        + " bytes; the stanza's segments are " + stanza.walSegmentSize() + " bytes");
            }
            int length = (int) Math.min(size, Integer.MAX_VALUE);
            if (size <= inMemoryLimit) {
                content = borrow(spare, length, stanza.walSegmentSize());
                readFully(file, content, length);
            }
            if (segment) {
                checkHeader(name, content != null ? content : readHeader(file, name));
            }
            String sha = content != null ? sha256(content, length) : sha256(file);
            Optional<ObjectInfo> existing = index.find(name);
            if (existing.isPresent()) {
                String archived = WalArchiveIndex.checksumPrefix(existing.get().key());
                if (sha.startsWith(archived)) {
                    metrics.increment(MeterNames.WAL_PUSHES, "result", "duplicate");
                    return new Result(name, true, size, sha);
                }
                metrics.increment(MeterNames.WAL_PUSHES, "result", "different_content");
                throw new PgwardenException(ErrorCode.WAL_DIFFERENT_CONTENT, "WAL file '" + name
                        + "' is already archived with different content (archived sha256 " + archived
                        + "…, new " + sha + "); the archived copy was kept",
                        "two clusters may archive into one repository, or a restored cluster was promoted without a"
                                + " new timeline; check that only one cluster uses this repository", null);
            }
            // hashed once, above: the object is named after the digest, sealing need not repeat it
            if (content != null) {
                Codec codec = objects.codec();
                compressed = borrow(spareCompressed, codec.maxCompressedLength(length),
                        codec.maxCompressedLength(stanza.walSegmentSize()));
                int n = codec.compress(content, length, compressed);
                objects.putCompressed(WalArchiveIndex.key(name, sha), compressed, n, length,
                        HexFormat.of().parseHex(sha));
            } else {
                try (InputStream in = Files.newInputStream(file)) {
                    objects.put(WalArchiveIndex.key(name, sha), in, HexFormat.of().parseHex(sha));
                }
            }
            metrics.increment(MeterNames.WAL_PUSHES, "result", "archived");
            return new Result(name, false, size, sha);
        } catch (NoSuchFileException e) {
            throw new PgwardenException(ErrorCode.WAL_INVALID, "WAL file '" + file + "' does not exist");
        } catch (IOException e) {
            throw new PgwardenException(ErrorCode.WAL_INVALID, "unable to read WAL file '" + file + "': " + e.getMessage(), e);
        } finally {
            giveBack(spare, content, stanza.walSegmentSize());
            giveBack(spareCompressed, compressed, objects.codec().maxCompressedLength(stanza.walSegmentSize()));
        }
    }

    /** A buffer of {@code length} bytes: a kept one when that is the kept size, else a new one. */
    private static byte[] borrow(Queue<byte[]> kept, int length, int keptLength) {
        byte[] b = length == keptLength ? kept.poll() : null;
        return b != null ? b : new byte[length];
    }

    /** Keeps {@code buffer} for the next push if it is of the size segments need. */
    private static void giveBack(Queue<byte[]> kept, byte[] buffer, int keptLength) {
        // the queue's size is a bound, not exact: a few concurrent pushes may keep one more
        if (buffer != null && buffer.length == keptLength && kept.size() < SPARE_BUFFERS) {
            kept.offer(buffer);
        }
    }

    /**
     * Reads the whole file into {@code into[0, length)}; a file that is not that long any more is
     * refused. At most {@link #READ_CHUNK} per call: the JDK reads into a heap array through a
     * temporary direct buffer as large as the request and keeps it for the thread, so whole-segment
     * reads left 16 MiB of native memory with every thread that ever pushed (the daemon's peak RSS
     * in the backup benchmark rose by about 100 MiB).
     */
    private static void readFully(Path file, byte[] into, int length) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            ByteBuffer b = ByteBuffer.wrap(into, 0, length);
            while (b.position() < length) {
                b.limit(Math.min(length, b.position() + READ_CHUNK));
                if (ch.read(b) < 0) {
                    throw new IOException("it ended after " + b.position() + " of " + length + " bytes while being"
                            + " read");
                }
            }
            if (ch.size() != length) {
                throw new IOException("its size changed from " + length + " to " + ch.size() + " bytes while being"
                        + " read");
            }
        }
    }

    private static byte[] readHeader(Path file, String name) throws IOException {
        byte[] header = new byte[LONG_HEADER_SIZE];
        try (InputStream in = Files.newInputStream(file)) {
            if (in.readNBytes(header, 0, header.length) != header.length) {
                throw new PgwardenException(ErrorCode.WAL_INVALID, "WAL segment '" + name + "' is truncated");
            }
        }
        return header;
    }

    /** The long page header at the start of {@code segment}: its cluster must be this stanza's. */
    private void checkHeader(String name, byte[] segment) {
        if (segment.length < LONG_HEADER_SIZE) {
            throw new PgwardenException(ErrorCode.WAL_INVALID, "WAL segment '" + name + "' is truncated");
        }
        ByteBuffer b = ByteBuffer.wrap(segment, 0, LONG_HEADER_SIZE).order(ByteOrder.LITTLE_ENDIAN);
        int info = b.getShort(2) & 0xFFFF;
        if ((info & XLP_LONG_HEADER) == 0) {
            throw new PgwardenException(ErrorCode.WAL_INVALID, "WAL segment '" + name
                    + "' does not start with a long page header");
        }
        long systemIdentifier = b.getLong(24);
        if (systemIdentifier != stanza.systemIdentifier()) {
            metrics.increment(MeterNames.WAL_PUSHES, "result", "foreign");
            throw new PgwardenException(ErrorCode.WAL_FOREIGN, "WAL segment '" + name + "' belongs to the cluster with"
                    + " system identifier " + Long.toUnsignedString(systemIdentifier) + ", but this repository's stanza '"
                    + stanza.stanza() + "' is " + Long.toUnsignedString(stanza.systemIdentifier()),
                    "point archive_command of that cluster at its own repository", null);
        }
    }

    private static String sha256(byte[] content, int length) {
        try {
            MessageDigest d = MessageDigest.getInstance("SHA-256");
            d.update(content, 0, length);
            return HexFormat.of().formatHex(d.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String sha256(Path file) throws IOException {
        try (InputStream in = new DigestInputStream(Files.newInputStream(file), MessageDigest.getInstance("SHA-256"))) {
            in.transferTo(java.io.OutputStream.nullOutputStream());
            return HexFormat.of().formatHex(((DigestInputStream) in).getMessageDigest().digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
