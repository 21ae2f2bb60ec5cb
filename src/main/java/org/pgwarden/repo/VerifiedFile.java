package org.pgwarden.repo;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.concurrent.ThreadLocalRandom;
import org.pgwarden.common.ErrorCode;
import org.pgwarden.common.PgwardenException;
import org.pgwarden.storage.ObjectInfo;

/**
 * Writes a WAL file so that its final name appears only with complete, verified content: bytes
 * go to a temporary name in the target's directory, the SHA-256 of what was written is compared
 * with the expected prefix, the file is flushed, then renamed over the target and the directory
 * flushed. A reader that sees the final name therefore never sees a partial or unverified file.
 * Used by {@code wal-fetch} and by restore when it stages WAL ahead of recovery.
 */
public final class VerifiedFile {
    private static final int BUFFER = 128 * 1024;

    private VerifiedFile() {
    }

    /**
     * Decrypts the archived WAL file {@code object} into {@code target}, authenticated to its end
     * and checked against the checksum its key records; every failure names the key.
     */
    public static void restoreWal(SealedObjects objects, ObjectInfo object, Path target) {
        String key = object.key().toString();
        String sha = WalArchiveIndex.checksumPrefix(object.key());
        try (InputStream in = objects.open(object.key())) {
            write(in, target, sha, key);
        } catch (PgwardenException e) {
            throw e.getMessage().contains(key) ? e : new PgwardenException(e.errorCode(),
                    "unable to restore WAL object '" + key + "': " + e.getMessage(), e.hint().orElse(null), e);
        } catch (IOException e) {
            throw new PgwardenException(ErrorCode.REPO_IO, "unable to close WAL object '" + key + "': " + e, e);
        }
    }

    /** A temporary name next to {@code target}, unique per process and call. */
    public static Path temporaryFor(Path target) {
        return target.resolveSibling(target.getFileName() + ".pgwarden-" + ProcessHandle.current().pid() + "-"
                + Long.toHexString(ThreadLocalRandom.current().nextLong() >>> 16) + ".tmp");
    }

    /**
     * Copies {@code plaintext} (read to its end, so a sealed stream checks its last tag) into
     * {@code target}.
     *
     * @param source what the bytes are, for messages: the object key
     */
    public static void write(InputStream plaintext, Path target, String expectedShaPrefix, String source) {
        Path temp = temporaryFor(target);
        boolean done = false;
        try {
            MessageDigest sha = sha256();
            try (OutputStream out = Files.newOutputStream(temp, StandardOpenOption.CREATE_NEW,
                    StandardOpenOption.WRITE)) {
                byte[] buf = new byte[BUFFER];
                while (true) {
                    int n = read(plaintext, buf, source);
                    if (n < 0) {
                        break;
                    }
                    sha.update(buf, 0, n);
                    out.write(buf, 0, n);
                }
            }
            requireChecksum(HexFormat.of().formatHex(sha.digest()), expectedShaPrefix, source);
            publish(temp, target);
            done = true;
        } catch (IOException e) {
            throw unwritable(target, e);
        } finally {
            if (!done) {
                deleteQuietly(temp);
            }
        }
    }

    /** Flushes {@code temp}, renames it to {@code target} atomically and flushes the directory. */
    public static void publish(Path temp, Path target) throws IOException {
        try (FileChannel ch = FileChannel.open(temp, StandardOpenOption.WRITE)) {
            ch.force(true);
        }
        Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        try (FileChannel dir = FileChannel.open(target.getParent(), StandardOpenOption.READ)) {
            dir.force(true);
        }
    }

    /** Moves {@code from} to {@code to} by rename when both are on one file system, by copy otherwise. */
    public static void moveOrCopy(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException crossDevice) {
            Files.copy(from, to);
            Files.delete(from);
        }
    }

    public static String sha256Hex(Path file) throws IOException {
        MessageDigest sha = sha256();
        try (InputStream in = Files.newInputStream(file)) {
            byte[] buf = new byte[BUFFER];
            for (int n; (n = in.read(buf)) >= 0; ) {
                sha.update(buf, 0, n);
            }
        }
        return HexFormat.of().formatHex(sha.digest());
    }

    public static void requireChecksum(String actualHex, String expectedPrefix, String source) {
        if (!actualHex.startsWith(expectedPrefix)) {
            throw new PgwardenException(ErrorCode.INTEGRITY_CHECKSUM, "WAL object '" + source + "' decrypts to"
                    + " content with sha256 " + actualHex + ", but its key records " + expectedPrefix + "…",
                    "the object was altered or misnamed in the repository; restore from another copy of the"
                            + " repository or stop recovery before this file", null);
        }
    }

    public static void deleteQuietly(Path p) {
        try {
            Files.deleteIfExists(p);
        } catch (IOException e) {
            // a leftover temporary name is pruned later; the real failure is already being reported
        }
    }

    public static PgwardenException unwritable(Path target, IOException e) {
        return new PgwardenException(ErrorCode.WAL_INVALID, "unable to write WAL file '" + target + "': " + e,
                "check that the directory exists, has free space and is writable by the user running"
                        + " restore_command", e);
    }

    private static int read(InputStream in, byte[] buf, String source) {
        try {
            return in.read(buf);
        } catch (IOException e) {
            throw new PgwardenException(ErrorCode.REPO_IO, "unable to read WAL object '" + source + "': " + e, e);
        }
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
