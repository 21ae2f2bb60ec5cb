package org.pgwarden.restore;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import org.pgwarden.common.ErrorCode;
import org.pgwarden.common.PgwardenException;
import org.pgwarden.job.JobContext;
import org.pgwarden.repo.ManifestEntry;
import org.pgwarden.repo.Slice;

/**
 * Writes one file of a backup into a temporary name: its slices from their chunks (each chunk
 * authenticated as it is read); then checks the whole file's SHA-256
 * and hands the file to the {@link FileCommitter} (synced, then renamed into place) only when it
 * matched. In delta mode a file already there with the manifest's size and checksum is kept.
 */
final class FileWriter {
    private final ChunkCache chunks;
    private final FileCommitter committer;
    private final FileOwner owner;
    private final JobContext context;
    private final MessageDigest fileDigest = sha256();
    private final MessageDigest sliceDigest = sha256();

    FileWriter(ChunkCache chunks, FileCommitter committer, FileOwner owner, JobContext context) {
        this.chunks = chunks;
        this.committer = committer;
        this.owner = owner;
        this.context = context;
    }

    /** @return bytes written (0 when delta found the file already right); durable once the committer finished */
    long write(ManifestEntry entry, Path target, boolean delta) throws InterruptedException {
        try {
            if (delta && alreadyRight(entry, target)) {
                return 0;
            }
            Path temp = target.resolveSibling(".pgwarden-restore-" + target.getFileName());
            fileDigest.reset();
            try (FileChannel out = FileChannel.open(temp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING)) {
                for (Slice s : entry.slices()) {
                    context.checkCancelled();
                    ChunkCache.Chunk chunk = chunks.plaintext(s.ref());
                    int from = Math.toIntExact(s.ref().sliceOffset());
                    int length = Math.toIntExact(s.length());
                    if (from + length > chunk.length()) {
                        throw integrity(entry, "slice at " + s.fileOffset() + " lies outside its chunk in '"
                                + s.ref().object() + "'");
                    }
                    fileDigest.update(chunk.bytes(), from, length);
                    ByteBuffer slice = ByteBuffer.wrap(chunk.bytes(), from, length);
                    for (long at = s.fileOffset(); slice.hasRemaining(); ) {
                        at += out.write(slice, at);
                    }
                }
            }
            // A manifest entry's slices tile the file in order (ManifestEntry refuses anything else), so
            // the file's checksum covers exactly the bytes written, and every chunk was authenticated
            // on the way: checking each slice as well would hash everything twice. Slice checksums are
            // read only to say what went wrong.
            if (!HexFormat.of().formatHex(fileDigest.digest()).equals(entry.sha256())) {
                Files.deleteIfExists(temp);
                throw mismatch(entry);
            }
            owner.apply(temp, entry.mode());
            Files.setLastModifiedTime(temp, FileTime.fromMillis(entry.mtimeMillis()));
            committer.commit(temp, target);
            return entry.size();
        } catch (IOException e) {
            throw new PgwardenException(ErrorCode.REPO_IO, "unable to write '" + target + "': " + e.getMessage(), e);
        }
    }

    private boolean alreadyRight(ManifestEntry entry, Path target) throws IOException {
        try {
            if (Files.size(target) != entry.size()) {
                return false;
            }
        } catch (NoSuchFileException e) {
            return false;
        }
        MessageDigest d = sha256();
        try (InputStream in = new DigestInputStream(Files.newInputStream(target), d)) {
            in.transferTo(OutputStream.nullOutputStream());
        }
        if (!HexFormat.of().formatHex(d.digest()).equals(entry.sha256())) {
            return false;
        }
        owner.apply(target, entry.mode());
        Files.setLastModifiedTime(target, FileTime.fromMillis(entry.mtimeMillis()));
        return true;
    }

    /** Names the first slice whose checksum differs, or the file as a whole when every slice matches. */
    private PgwardenException mismatch(ManifestEntry entry) {
        for (Slice s : entry.slices()) {
            ChunkCache.Chunk chunk = chunks.plaintext(s.ref());
            sliceDigest.reset();
            sliceDigest.update(chunk.bytes(), Math.toIntExact(s.ref().sliceOffset()), Math.toIntExact(s.length()));
            if (!HexFormat.of().formatHex(sliceDigest.digest()).equals(s.sha256())) {
                return integrity(entry, "slice at " + s.fileOffset() + " (from '" + s.ref().object()
                        + "') does not match its checksum");
            }
        }
        return integrity(entry, "the reassembled file does not match its checksum");
    }

    private static PgwardenException integrity(ManifestEntry entry, String what) {
        return new PgwardenException(ErrorCode.INTEGRITY_CHECKSUM, "restoring '" + entry.path() + "': " + what,
                "the repository is damaged; run 'pgwarden info' and restore another backup", null);
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
