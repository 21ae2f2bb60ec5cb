package org.pgwarden.wal;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Optional;
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
 */
public final class WalPush {
    /** XLogLongPageHeaderData: the first page of every segment carries the cluster's identity. */
    private static final int XLP_LONG_HEADER = 0x0002;
    private static final int LONG_HEADER_SIZE = 40;

    private final SealedObjects objects;
    private final WalArchiveIndex index;
    private final StanzaInfo stanza;
    private final Metrics metrics;

    public WalPush(SealedObjects objects, WalArchiveIndex index, StanzaInfo stanza, Metrics metrics) {
        this.objects = objects;
        this.index = index;
        this.stanza = stanza;
        this.metrics = metrics;
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
        try {
            boolean segment = name.length() == 24 || name.endsWith(".partial");
            if (segment) {
                checkSegment(file, name);
            }
            String sha = sha256(file);
            Optional<ObjectInfo> existing = index.find(name);
            if (existing.isPresent()) {
                String archived = WalArchiveIndex.checksumPrefix(existing.get().key());
                if (sha.startsWith(archived)) {
                    metrics.increment(MeterNames.WAL_PUSHES, "result", "duplicate");
                    return new Result(name, true, Files.size(file), sha);
                }
                metrics.increment(MeterNames.WAL_PUSHES, "result", "different_content");
                throw new PgwardenException(ErrorCode.WAL_DIFFERENT_CONTENT, "WAL file '" + name
                        + "' is already archived with different content (archived sha256 " + archived
                        + "…, new " + sha + "); the archived copy was kept",
                        "two clusters may archive into one repository, or a restored cluster was promoted without a"
                                + " new timeline; check that only one cluster uses this repository", null);
            }
            try (InputStream in = Files.newInputStream(file)) {
                // hashed once, above: the object is named after the digest, sealing need not repeat it
                objects.put(WalArchiveIndex.key(name, sha), in, HexFormat.of().parseHex(sha));
            }
            metrics.increment(MeterNames.WAL_PUSHES, "result", "archived");
            return new Result(name, false, Files.size(file), sha);
        } catch (NoSuchFileException e) {
            throw new PgwardenException(ErrorCode.WAL_INVALID, "WAL file '" + file + "' does not exist");
        } catch (IOException e) {
            throw new PgwardenException(ErrorCode.WAL_INVALID, "unable to read WAL file '" + file + "': " + e.getMessage(), e);
        }
    }

    private void checkSegment(Path file, String name) throws IOException {
        long size = Files.size(file);
        if (size != stanza.walSegmentSize()) {
            throw new PgwardenException(ErrorCode.WAL_INVALID, "WAL segment '" + name + "' is " + size
                    + " bytes; the stanza's segments are " + stanza.walSegmentSize() + " bytes");
        }
        byte[] header = new byte[LONG_HEADER_SIZE];
        try (InputStream in = Files.newInputStream(file)) {
            if (in.readNBytes(header, 0, header.length) != header.length) {
                throw new PgwardenException(ErrorCode.WAL_INVALID, "WAL segment '" + name + "' is truncated");
            }
        }
        ByteBuffer b = ByteBuffer.wrap(header).order(ByteOrder.LITTLE_ENDIAN);
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

    private static String sha256(Path file) throws IOException {
        try (InputStream in = new DigestInputStream(Files.newInputStream(file), MessageDigest.getInstance("SHA-256"))) {
            in.transferTo(java.io.OutputStream.nullOutputStream());
            return HexFormat.of().formatHex(((DigestInputStream) in).getMessageDigest().digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
