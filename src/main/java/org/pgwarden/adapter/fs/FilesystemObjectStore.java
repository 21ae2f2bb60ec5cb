package org.pgwarden.adapter.fs;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.Optional;
import java.util.Set;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;
import org.pgwarden.common.ErrorCode;
import org.pgwarden.common.PgwardenException;
import org.pgwarden.config.RepositoryConfig;
import org.pgwarden.storage.Capabilities;
import org.pgwarden.storage.ObjectInfo;
import org.pgwarden.storage.ObjectKey;
import org.pgwarden.storage.ObjectStore;

/**
 * A repository in a local (or mounted) directory, with the semantics of the S3 store: a write goes
 * to a temporary file next to its target, is flushed, renamed into place atomically and the
 * directory flushed, so an object is either absent or complete, also after a crash. {@code create}
 * publishes with a hard link, which the kernel refuses atomically when the name exists.
 */
public final class FilesystemObjectStore implements ObjectStore {
    private static final int COPY_BUFFER = 256 * 1024;
    /** A concurrent delete may remove an empty directory between its creation and our temp file. */
    private static final int DIRECTORY_RACE_ATTEMPTS = 5;

    private final FsPaths paths;
    private final Capabilities capabilities;

    public FilesystemObjectStore(RepositoryConfig.Filesystem config) {
        this(config.path());
    }

    public FilesystemObjectStore(Path root) {
        this.paths = new FsPaths(root);
        try {
            Fsync.createDirectories(paths.root());
        } catch (IOException e) {
            throw new PgwardenException(ErrorCode.REPO_IO,
                    "unable to open repository directory '" + paths.root() + "': " + e, e);
        }
        this.capabilities = new Capabilities(hardLinksWork(paths.root()), false, true);
    }

    /** Some filesystems (several FUSE and SMB mounts) refuse hard links; create then cannot be atomic. */
    private static boolean hardLinksWork(Path root) {
        Path a = FsPaths.temporaryNextTo(root.resolve("probe"));
        Path b = FsPaths.temporaryNextTo(root.resolve("probe"));
        try {
            Files.createFile(a);
            Files.createLink(b, a);
            return true;
        } catch (IOException | UnsupportedOperationException e) {
            return false;
        } finally {
            try {
                Files.deleteIfExists(b);
                Files.deleteIfExists(a);
            } catch (IOException e) {
                throw new PgwardenException(ErrorCode.REPO_IO,
                        "unable to remove probe file in '" + root + "': " + e, e);
            }
        }
    }

    @Override
    public String describe() {
        return paths.root().toString();
    }

    @Override
    public Capabilities capabilities() {
        return capabilities;
    }

    @Override
    public ObjectInfo put(ObjectKey key, InputStream data) {
        return write("put", key, data, false);
    }

    @Override
    public ObjectInfo create(ObjectKey key, InputStream data) {
        return write("create", key, data, true);
    }

    private ObjectInfo write(String operation, ObjectKey key, InputStream data, boolean exclusive) {
        Path target = paths.resolve(operation, key);
        if (exclusive && Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
            // Cheap early answer; the link below is what makes create race-free.
            throw exists(operation, key);
        }
        Path temp = null;
        try {
            temp = createTemporary(target);
            long size = copy(operation, key, data, temp);
            if (exclusive) {
                publishExclusive(operation, key, temp, target);
            } else {
                Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE);
            }
            temp = null;
            Fsync.directory(target.getParent());
            return new ObjectInfo(key, size, Files.getLastModifiedTime(target).toInstant(), Optional.empty());
        } catch (IOException e) {
            throw failure(operation, key, target, e);
        } finally {
            if (temp != null) {
                deleteQuietlyAfterFailure(temp);
            }
        }
    }

    private Path createTemporary(Path target) throws IOException {
        for (int attempt = 1; ; attempt++) {
            Fsync.createDirectories(target.getParent());
            Path temp = FsPaths.temporaryNextTo(target);
            try {
                Files.createFile(temp);
                return temp;
            } catch (NoSuchFileException e) {
                if (attempt == DIRECTORY_RACE_ATTEMPTS) {
                    throw e;
                }
            }
        }
    }

    /**
     * Copies {@code data} into {@code temp} and makes it durable; returns its size. Not hashed: no
     * caller reads a stored object's checksum from a put, and sealed objects carry their own
     * authentication, so hashing every stored byte (4–5 ms of a WAL push's 55) bought nothing.
     */
    private long copy(String operation, ObjectKey key, InputStream data, Path temp) throws IOException {
        byte[] buf = new byte[COPY_BUFFER];
        long size = 0;
        try (FileChannel out = FileChannel.open(temp, StandardOpenOption.WRITE)) {
            while (true) {
                int n;
                try {
                    n = data.read(buf);
                } catch (IOException e) {
                    throw new PgwardenException(ErrorCode.REPO_SOURCE_FAILED, "unable to " + operation + " '" + key
                            + "' in '" + describe() + "': reading the source failed: " + e, e);
                }
                if (n < 0) {
                    break;
                }
                ByteBuffer bb = ByteBuffer.wrap(buf, 0, n);
                while (bb.hasRemaining()) {
                    out.write(bb);
                }
                size += n;
            }
            out.force(true);
        }
        return size;
    }

    private void publishExclusive(String operation, ObjectKey key, Path temp, Path target) throws IOException {
        if (capabilities.conditionalCreate()) {
            try {
                Files.createLink(target, temp);
            } catch (FileAlreadyExistsException e) {
                throw exists(operation, key);
            }
            Files.delete(temp);
        } else {
            // Without hard links the JDK checks and renames in two steps: documented as racy.
            try {
                Files.move(temp, target);
            } catch (FileAlreadyExistsException e) {
                throw exists(operation, key);
            }
        }
    }

    @Override
    public InputStream get(ObjectKey key) {
        return get(key, 0, Long.MAX_VALUE);
    }

    @Override
    public InputStream get(ObjectKey key, long offset, long length) {
        if (offset < 0 || length < 0) {
            throw new IllegalArgumentException("offset and length must not be negative");
        }
        Path file = paths.resolve("get", key);
        FileChannel ch = null;
        try {
            if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
                throw missing("get", key);
            }
            ch = FileChannel.open(file, StandardOpenOption.READ);
            ch.position(offset);
            InputStream in = Channels.newInputStream(ch);
            return length == Long.MAX_VALUE ? in : new BoundedInputStream(in, length);
        } catch (NoSuchFileException e) {
            throw missing("get", key);
        } catch (IOException e) {
            closeAfterFailure(ch, e);
            throw failure("get", key, file, e);
        }
    }

    @Override
    public Optional<ObjectInfo> stat(ObjectKey key) {
        Path file = paths.resolve("stat", key);
        try {
            BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            if (!a.isRegularFile()) {
                return Optional.empty();
            }
            return Optional.of(new ObjectInfo(key, a.size(), a.lastModifiedTime().toInstant(), Optional.empty()));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            throw failure("stat", key, file, e);
        }
    }

    @Override
    public Stream<ObjectInfo> list(String prefix) {
        KeyOrderWalker walker = new KeyOrderWalker(paths, prefix);
        return StreamSupport.stream(Spliterators.spliteratorUnknownSize(walker,
                Spliterator.ORDERED | Spliterator.DISTINCT | Spliterator.NONNULL), false);
    }

    /** Temporary files of writes that never finished (a killed process), then the emptied directories. */
    @Override
    public long discardIncomplete(String prefix) {
        int slash = prefix.lastIndexOf('/');
        if (slash <= 0) {
            return 0; // only whole directories are swept: never the repository root
        }
        Path dir = paths.resolve("discard", new ObjectKey(prefix.substring(0, slash)));
        if (!Files.isDirectory(dir)) {
            return 0;
        }
        long removed = 0;
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                if (Files.isRegularFile(p) && p.getFileName().toString().startsWith(FsPaths.TEMP_PREFIX)) {
                    Files.deleteIfExists(p);
                    removed++;
                } else if (Files.isDirectory(p)) {
                    try (Stream<Path> children = Files.list(p)) {
                        if (children.findAny().isEmpty()) {
                            Files.deleteIfExists(p);
                        }
                    }
                }
            }
        } catch (IOException e) {
            throw new PgwardenException(ErrorCode.REPO_IO, "unable to remove unfinished writes under '" + dir + "': "
                    + e.getMessage(), e);
        }
        removeEmptyParents(dir.getParent());
        return removed;
    }

    @Override
    public void delete(Collection<ObjectKey> keys) {
        Set<Path> touched = new LinkedHashSet<>();
        for (ObjectKey key : keys) {
            Path file = paths.resolve("delete", key);
            try {
                if (Files.deleteIfExists(file)) {
                    touched.add(file.getParent());
                }
            } catch (DirectoryNotEmptyException e) {
                // A directory holding other keys is not an object: nothing to delete at this key.
            } catch (IOException e) {
                throw failure("delete", key, file, e);
            }
        }
        for (Path dir : touched) {
            try {
                Fsync.directory(dir);
            } catch (NoSuchFileException e) {
                // Already removed as an empty parent of another deleted key.
            } catch (IOException e) {
                throw new PgwardenException(ErrorCode.REPO_IO, "unable to delete in '" + describe()
                        + "': flushing directory '" + dir + "' failed: " + e, e);
            }
            removeEmptyParents(dir);
        }
    }

    /** Keeps listing fast over months of expiry: directories left empty by a delete go too. */
    private void removeEmptyParents(Path dir) {
        for (Path d = dir; d != null && d.startsWith(paths.root()) && !d.equals(paths.root()); d = d.getParent()) {
            try {
                Files.delete(d);
                Fsync.directory(d.getParent());
            } catch (DirectoryNotEmptyException | NoSuchFileException e) {
                return;
            } catch (IOException e) {
                throw new PgwardenException(ErrorCode.REPO_IO, "unable to delete in '" + describe()
                        + "': removing empty directory '" + d + "' failed: " + e, e);
            }
        }
    }

    @Override
    public void close() {
        // Nothing is held open between calls.
    }

    private PgwardenException exists(String operation, ObjectKey key) {
        return new PgwardenException(ErrorCode.REPO_OBJECT_EXISTS,
                "unable to " + operation + " '" + key + "' in '" + describe() + "': an object already exists there");
    }

    private PgwardenException missing(String operation, ObjectKey key) {
        return new PgwardenException(ErrorCode.REPO_OBJECT_MISSING,
                "unable to " + operation + " '" + key + "' in '" + describe() + "': no such object");
    }

    private PgwardenException failure(String operation, ObjectKey key, Path file, IOException e) {
        return new PgwardenException(ErrorCode.REPO_IO,
                "unable to " + operation + " '" + key + "' at '" + file + "': " + e, e);
    }

    private static void deleteQuietlyAfterFailure(Path temp) {
        try {
            Files.deleteIfExists(temp);
        } catch (IOException e) {
            // The original failure is what the caller must see; a leftover temp name is never listed.
        }
    }

    private static void closeAfterFailure(FileChannel ch, IOException cause) {
        if (ch != null) {
            try {
                ch.close();
            } catch (IOException e) {
                cause.addSuppressed(e);
            }
        }
    }
}
