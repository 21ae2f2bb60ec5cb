package org.pgwarden.adapter.fs;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Optional;
import org.pgwarden.common.ErrorCode;
import org.pgwarden.common.PgwardenException;
import org.pgwarden.storage.ObjectInfo;
import org.pgwarden.storage.ObjectKey;

/**
 * Walks the files under the root whose key starts with a prefix, in the order S3 lists keys
 * (plain string order of the whole key), one directory at a time: only the listings of the
 * directories on the current path are in memory, never all keys.
 *
 * <p>Sorting a directory's entries by name alone would be wrong: {@code a/b} (inside directory
 * {@code a}) must come after {@code a-c}, because {@code '-' < '/'}. Sorting directories as
 * {@code name + "/"} gives exactly the order of the full keys.
 */
final class KeyOrderWalker implements Iterator<ObjectInfo> {

    private record Entry(String key, Path path, boolean directory) {
        String sortKey() {
            return directory ? key + "/" : key;
        }
    }

    private final FsPaths paths;
    private final String prefix;
    private final Deque<Iterator<Entry>> stack = new ArrayDeque<>();
    private ObjectInfo next;

    KeyOrderWalker(FsPaths paths, String prefix) {
        this.paths = paths;
        this.prefix = prefix;
        int slash = prefix.lastIndexOf('/');
        String dirKey = slash < 0 ? "" : prefix.substring(0, slash);
        if (dirKey.isEmpty()) {
            stack.push(listing(paths.root(), ""));
        } else if (isPlausibleKey(dirKey)) {
            stack.push(listing(paths.root().resolve(dirKey), dirKey));
        }
    }

    /** A prefix whose directory part is not a valid key cannot match any key: list nothing. */
    private static boolean isPlausibleKey(String dirKey) {
        try {
            new ObjectKey(dirKey);
            return !dirKey.contains(FsPaths.TEMP_PREFIX);
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    @Override
    public boolean hasNext() {
        while (next == null && !stack.isEmpty()) {
            Iterator<Entry> top = stack.peek();
            if (!top.hasNext()) {
                stack.pop();
                continue;
            }
            Entry e = top.next();
            if (e.directory()) {
                stack.push(listing(e.path(), e.key()));
            } else if (e.key().startsWith(prefix)) {
                next = info(e).orElse(null);
            }
        }
        return next != null;
    }

    @Override
    public ObjectInfo next() {
        if (!hasNext()) {
            throw new NoSuchElementException();
        }
        ObjectInfo n = next;
        next = null;
        return n;
    }

    private Iterator<Entry> listing(Path dir, String dirKey) {
        List<Entry> entries = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
            for (Path p : ds) {
                String name = p.getFileName().toString();
                if (FsPaths.isTemporary(name)) {
                    continue;
                }
                String key = dirKey.isEmpty() ? name : dirKey + "/" + name;
                // Keep a directory only when keys below it can match the prefix. The name decides
                // first, so a lookup in a large directory (one segment among a timeline's WAL)
                // reads the attributes of the few entries that can match, not of all of them.
                boolean asFile = key.startsWith(prefix);
                boolean asDirectory = (key + "/").startsWith(prefix) || prefix.startsWith(key + "/");
                if (asFile || asDirectory) {
                    boolean directory = Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS);
                    if (directory ? asDirectory : asFile) {
                        entries.add(new Entry(key, p, directory));
                    }
                }
            }
        } catch (NoSuchFileException | NotDirectoryException e) {
            // Removed by a concurrent delete, or the prefix names a file: nothing below it.
            return List.<Entry>of().iterator();
        } catch (IOException e) {
            throw new PgwardenException(ErrorCode.REPO_IO, "unable to list '" + prefix + "' in '" + paths.root()
                    + "': reading directory '" + dir + "' failed: " + e, e);
        }
        entries.sort(Comparator.comparing(Entry::sortKey));
        return entries.iterator();
    }

    private Optional<ObjectInfo> info(Entry e) {
        try {
            BasicFileAttributes a = Files.readAttributes(e.path(), BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            if (!a.isRegularFile()) {
                return Optional.empty();
            }
            return Optional.of(new ObjectInfo(new ObjectKey(e.key()), a.size(), a.lastModifiedTime().toInstant(),
                    Optional.empty()));
        } catch (NoSuchFileException gone) {
            return Optional.empty();
        } catch (IOException ex) {
            throw new PgwardenException(ErrorCode.REPO_IO, "unable to list '" + prefix + "' in '" + paths.root()
                    + "': reading attributes of '" + e.path() + "' failed: " + ex, ex);
        }
    }
}
