package org.pgwarden.wal;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.LinkOption;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.UserPrincipal;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.pgwarden.common.ErrorCode;
import org.pgwarden.common.PgwardenException;
import org.pgwarden.repo.VerifiedFile;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Prefetched WAL segments waiting for PostgreSQL to ask for them. An entry is named
 * {@code <segment>-<first 16 hex digits of its SHA-256>} and appears only by rename once complete
 * and verified, so presence means complete; it is hashed again when taken, so a file damaged
 * while it waited is refetched from the repository instead of being replayed.
 *
 * <p>Several processes may use one spool (restore_command runs once per file); every operation
 * tolerates an entry vanishing under it, which at worst costs a fetch from the repository.
 */
public final class WalSpool {
    private static final Logger LOG = LoggerFactory.getLogger(WalSpool.class);
    /** A temporary file this old belongs to a process that died; live writes take seconds. */
    private static final Duration STALE_TEMPORARY = Duration.ofHours(1);
    private static final String TEMP_SUFFIX = ".tmp";

    private final Path dir;
    private final int capacity;
    private Boolean trusted;

    WalSpool(Path dir, int capacity) {
        this.dir = dir;
        this.capacity = capacity;
    }

    /**
     * The spool of {@code stanza} under {@code base}. The repository's description is part of the
     * name so that two repositories with the same stanza name never share prefetched files.
     *
     * @param capacity most entries kept; the ones furthest ahead are dropped beyond it
     */
    public static WalSpool forStanza(Path base, String stanza, String repository, int capacity) {
        return new WalSpool(base.resolve("pgwarden-wal-" + stanza + "-" + shortHash(repository)), capacity);
    }

    public Path directory() {
        return dir;
    }

    /** Names of the WAL files waiting, in name order. */
    public List<String> names() {
        return entries().stream().map(WalSpool::walName).sorted().toList();
    }

    /**
     * Moves the entry for {@code walName} to {@code destination} (temporary name, verify, flush,
     * rename). Returns false when there is none, or when it no longer matches its checksum (it is
     * then deleted and the caller fetches from the repository).
     */
    boolean take(String walName, Path destination) {
        Optional<Path> entry = find(walName);
        if (entry.isEmpty()) {
            return false;
        }
        Path temp = VerifiedFile.temporaryFor(destination);
        try {
            VerifiedFile.moveOrCopy(entry.get(), temp);
        } catch (NoSuchFileException e) {
            VerifiedFile.deleteQuietly(temp);
            return false; // another process took or pruned it first
        } catch (IOException e) {
            VerifiedFile.deleteQuietly(temp);
            throw VerifiedFile.unwritable(destination, e);
        }
        try {
            String expected = checksumPrefix(entry.get());
            if (!VerifiedFile.sha256Hex(temp).startsWith(expected)) {
                LOG.warn("spooled WAL file '{}' no longer matches its checksum; fetching it from the repository again",
                        entry.get());
                VerifiedFile.deleteQuietly(temp);
                return false;
            }
            VerifiedFile.publish(temp, destination);
            return true;
        } catch (IOException e) {
            VerifiedFile.deleteQuietly(temp);
            throw VerifiedFile.unwritable(destination, e);
        }
    }

    /** Creates the spool if needed; false (with a warning logged) when it exists but may not be trusted. */
    boolean ready() {
        try {
            open();
            return true;
        } catch (PgwardenException e) {
            if (e.errorCode() == ErrorCode.WAL_INVALID && !trusted()) {
                return false;
            }
            throw e;
        }
    }

    /** Where the entry for {@code walName} with checksum prefix {@code shaPrefix} is written; creates the spool. */
    Path entryPath(String walName, String shaPrefix) {
        return open().resolve(walName + "-" + shaPrefix);
    }

    /**
     * Forgets what recovery has gone past: entries named before {@code requestedSegment} (earlier
     * segments and older timelines), temporary files of dead processes, and entries beyond the
     * capacity, furthest ahead first.
     */
    void prune(String requestedSegment) {
        Instant staleBefore = Instant.now().minus(STALE_TEMPORARY);
        List<Path> kept = new ArrayList<>();
        for (Path p : all()) {
            String file = p.getFileName().toString();
            if (file.endsWith(TEMP_SUFFIX)) {
                if (modified(p).toInstant().isBefore(staleBefore)) {
                    VerifiedFile.deleteQuietly(p);
                }
            } else if (walName(p).compareTo(requestedSegment) < 0) {
                VerifiedFile.deleteQuietly(p);
            } else {
                kept.add(p);
            }
        }
        kept.sort((a, b) -> walName(a).compareTo(walName(b)));
        for (int i = capacity; i < kept.size(); i++) {
            VerifiedFile.deleteQuietly(kept.get(i));
        }
    }

    private Optional<Path> find(String walName) {
        return entries().stream().filter(p -> walName(p).equals(walName)).findFirst();
    }

    private List<Path> entries() {
        return all().stream().filter(p -> !p.getFileName().toString().endsWith(TEMP_SUFFIX)).toList();
    }

    private List<Path> all() {
        List<Path> out = new ArrayList<>();
        if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS) || !trusted()) {
            return out;
        }
        try (DirectoryStream<Path> s = Files.newDirectoryStream(dir)) {
            s.forEach(out::add);
        } catch (IOException e) {
            LOG.warn("unable to list the WAL spool '{}': {}; serving from the repository", dir, e.toString());
        }
        return out;
    }

    private Path open() {
        try {
            // Owner only: the spool holds decrypted WAL.
            Files.createDirectories(dir.getParent());
            if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
                try {
                    Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(
                            PosixFilePermissions.fromString("rwx------")));
                } catch (java.nio.file.FileAlreadyExistsException raced) {
                    // another process created it; trusted() decides whether it may be used
                }
            }
        } catch (IOException e) {
            throw VerifiedFile.unwritable(dir, e);
        }
        if (!trusted()) {
            throw new PgwardenException(ErrorCode.WAL_INVALID, "the WAL spool '" + dir + "' is not a directory"
                    + " owned by this user and closed to others", "remove it, or set restore.spool-directory to a"
                    + " directory only the PostgreSQL OS user can write", null);
        }
        return dir;
    }

    /**
     * Whether files in the spool can only have been written by this user. The default spool lives
     * in a shared temporary directory: someone else could create the directory first and plant
     * files whose names match their own content, so the checksum in a name proves nothing there.
     */
    private synchronized boolean trusted() {
        if (trusted == null) {
            try {
                UserPrincipal me = dir.getFileSystem().getUserPrincipalLookupService()
                        .lookupPrincipalByName(System.getProperty("user.name"));
                Set<PosixFilePermission> perms = Files.getPosixFilePermissions(dir, LinkOption.NOFOLLOW_LINKS);
                trusted = Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)
                        && Files.getOwner(dir, LinkOption.NOFOLLOW_LINKS).equals(me)
                        && perms.stream().noneMatch(p -> p.name().startsWith("GROUP") || p.name().startsWith("OTHERS"));
            } catch (IOException | UnsupportedOperationException e) {
                trusted = false;
            }
            if (!trusted) {
                LOG.warn("not using the WAL spool '{}': it is not a directory owned by '{}' and closed to others;"
                        + " serving from the repository", dir, System.getProperty("user.name"));
            }
        }
        return trusted;
    }

    private static FileTime modified(Path p) {
        try {
            return Files.getLastModifiedTime(p);
        } catch (IOException e) {
            return FileTime.from(Instant.now());
        }
    }

    private static String walName(Path entry) {
        String n = entry.getFileName().toString();
        int dash = n.lastIndexOf('-');
        return dash < 0 ? n : n.substring(0, dash);
    }

    private static String checksumPrefix(Path entry) {
        String n = entry.getFileName().toString();
        return n.substring(n.lastIndexOf('-') + 1);
    }

    private static String shortHash(String s) {
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(d, 0, 4);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
