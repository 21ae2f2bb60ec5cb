package org.pgwarden.pg;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;
import org.pgwarden.common.ErrorCode;
import org.pgwarden.common.PgwardenException;

/**
 * Lists what a physical backup copies from a data directory, in {@link PgDataEntry#PATH_ORDER}.
 *
 * <p>The walk is lazy: a directory is listed only when the walk reaches it, and only the listings
 * of the directories on the current path are held, so memory follows the largest directory, not
 * the number of files. Files left out by {@link PgDataLayout}'s rules are never reported; links in
 * {@code pg_tblspc} are reported and then followed, so tablespace contents appear under
 * {@code pg_tblspc/<oid>/}. Other symbolic links are reported, not followed, except a linked
 * {@code pg_wal} (initdb {@code -X}), which is reported as the directory it stands for.
 *
 * <p>PostgreSQL keeps running during a backup: a file or directory that vanishes between being
 * listed and being examined is skipped without a word, as dropped tables do. Any other I/O
 * failure is reported as {@link ErrorCode#PG_DATA_UNREADABLE}.
 */
public final class PgDataWalker {
    private static final LinkOption[] NO_FOLLOW = {LinkOption.NOFOLLOW_LINKS};

    /** What a directory is, which decides which rules apply to its children. */
    private enum Place { ROOT, OTHER, BASE, DATABASE, WAL, TABLESPACES, TABLESPACE, TABLESPACE_VERSION }

    private final Path dataDirectory;

    public PgDataWalker(Path dataDirectory) {
        this.dataDirectory = Objects.requireNonNull(dataDirectory, "dataDirectory");
    }

    /**
     * The entries, sorted, without the data directory itself. The caller closes the stream;
     * directories are read whole when reached, so no file handle stays open between elements.
     *
     * @throws PgwardenException {@code PG_DATA_UNREADABLE} when the data directory cannot be read
     */
    public Stream<PgDataEntry> entries() {
        if (!Files.isDirectory(dataDirectory)) {
            throw new PgwardenException(ErrorCode.PG_DATA_UNREADABLE,
                    "data directory '" + dataDirectory + "' does not exist or is not a directory");
        }
        Walk walk = new Walk(majorVersion());
        return StreamSupport.stream(Spliterators.spliteratorUnknownSize(walk,
                Spliterator.ORDERED | Spliterator.NONNULL | Spliterator.DISTINCT), false);
    }

    /** The first number of {@code PG_VERSION}, to pick this server's directory in each tablespace. */
    private Optional<String> majorVersion() {
        try {
            String text = Files.readString(dataDirectory.resolve("PG_VERSION"), StandardCharsets.US_ASCII).trim();
            return text.matches("\\d+(\\.\\d+)?") ? Optional.of(text.replaceFirst("\\..*", "")) : Optional.empty();
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /** A child to report ({@code descend == false}) or a directory to enter ({@code descend == true}). */
    private record Item(String sortKey, PgDataEntry entry, Place place, boolean descend) {
    }

    private final class Walk implements Iterator<PgDataEntry> {
        private final Optional<String> major;
        private final Deque<Iterator<Item>> stack = new ArrayDeque<>();
        private PgDataEntry next;

        Walk(Optional<String> major) {
            this.major = major;
            stack.push(list(dataDirectory, "", Place.ROOT).iterator());
        }

        @Override
        public boolean hasNext() {
            while (next == null && !stack.isEmpty()) {
                Iterator<Item> top = stack.peek();
                if (!top.hasNext()) {
                    stack.pop();
                    continue;
                }
                Item item = top.next();
                if (item.descend()) {
                    stack.push(list(item.entry().absolute(), item.entry().path(), item.place()).iterator());
                } else {
                    next = item.entry();
                }
            }
            return next != null;
        }

        @Override
        public PgDataEntry next() {
            if (!hasNext()) {
                throw new NoSuchElementException();
            }
            PgDataEntry e = next;
            next = null;
            return e;
        }

        /** The kept children of one directory, sorted; empty when the directory vanished. */
        private List<Item> list(Path directory, String path, Place place) {
            List<String> names = new ArrayList<>();
            try (DirectoryStream<Path> ds = Files.newDirectoryStream(directory)) {
                for (Path child : ds) {
                    names.add(child.getFileName().toString());
                }
            } catch (NoSuchFileException | NotDirectoryException e) {
                return List.of();
            } catch (IOException e) {
                throw unreadable(directory, e);
            }
            Set<String> unlogged = place == Place.DATABASE ? unloggedRelations(names) : Set.of();
            List<Item> items = new ArrayList<>();
            for (String name : names) {
                if (!excluded(place, name, unlogged)) {
                    String childPath = path.isEmpty() ? name : path + "/" + name;
                    addItems(items, directory.resolve(name), childPath, name, place);
                }
            }
            items.sort((a, b) -> PgDataEntry.comparePaths(a.sortKey(), b.sortKey()));
            return items;
        }

        /** Rules that need only the name and where it is. */
        private boolean excluded(Place place, String name, Set<String> unlogged) {
            if (PgDataLayout.isTempFileName(name) || PgDataLayout.isRelcacheInitFileName(name)) {
                return true;
            }
            return switch (place) {
                case ROOT -> PgDataLayout.FILES_EXCLUDED.contains(name);
                case WAL -> !PgDataLayout.WAL_DIRECTORIES_KEPT.contains(name);
                // another major version's directory in a shared tablespace location is not ours
                case TABLESPACE -> major.isPresent() && !name.startsWith("PG_" + major.get() + "_");
                case DATABASE -> PgDataLayout.isTempRelationFileName(name) || isUnloggedNonInitFork(name, unlogged);
                default -> false;
            };
        }

        private void addItems(List<Item> items, Path absolute, String path, String name, Place parent) {
            PosixFileAttributes attrs;
            try {
                attrs = Files.readAttributes(absolute, PosixFileAttributes.class, NO_FOLLOW);
            } catch (NoSuchFileException e) {
                return;
            } catch (IOException e) {
                throw unreadable(absolute, e);
            }
            if (attrs.isSymbolicLink()) {
                addLink(items, absolute, path, name, parent, attrs);
            } else if (attrs.isDirectory()) {
                Place place = childPlace(parent, name);
                items.add(new Item(name, entry(path, PgDataEntry.Type.DIRECTORY, absolute, attrs, null), place, false));
                if (place != null) {
                    items.add(new Item(name + "/", entry(path, PgDataEntry.Type.DIRECTORY, absolute, attrs, null),
                            place, true));
                }
            } else if (attrs.isRegularFile()) {
                items.add(new Item(name, entry(path, PgDataEntry.Type.FILE, absolute, attrs, null), null, false));
            }
            // sockets, FIFOs and devices have no place in a data directory and cannot be restored
        }

        private void addLink(List<Item> items, Path absolute, String path, String name, Place parent,
                PosixFileAttributes linkAttrs) {
            Path target;
            try {
                target = Files.readSymbolicLink(absolute);
            } catch (NoSuchFileException e) {
                return;
            } catch (IOException e) {
                throw unreadable(absolute, e);
            }
            if (parent == Place.ROOT && name.equals(PgDataLayout.WAL_DIRECTORY)) {
                // a restore recreates pg_wal as a plain directory; what it points to is the host's business
                PosixFileAttributes dirAttrs = followed(absolute);
                if (dirAttrs != null && dirAttrs.isDirectory()) {
                    PgDataEntry e = entry(path, PgDataEntry.Type.DIRECTORY, absolute, dirAttrs, null);
                    items.add(new Item(name, e, Place.WAL, false));
                    items.add(new Item(name + "/", e, Place.WAL, true));
                }
                return;
            }
            PgDataEntry link = entry(path, PgDataEntry.Type.SYMLINK, absolute, linkAttrs, target);
            items.add(new Item(name, link, null, false));
            if (parent == Place.TABLESPACES) {
                items.add(new Item(name + "/", link, Place.TABLESPACE, true));
            }
        }

        private PosixFileAttributes followed(Path path) {
            try {
                return Files.readAttributes(path, PosixFileAttributes.class);
            } catch (NoSuchFileException e) {
                return null;
            } catch (IOException e) {
                throw unreadable(path, e);
            }
        }

        /** Where a subdirectory is; {@code null} when its contents are not copied at all. */
        private Place childPlace(Place parent, String name) {
            return switch (parent) {
                case ROOT -> switch (name) {
                    case "base" -> Place.BASE;
                    case "global" -> Place.DATABASE;
                    case PgDataLayout.WAL_DIRECTORY -> Place.WAL;
                    case PgDataLayout.TABLESPACE_DIRECTORY -> Place.TABLESPACES;
                    default -> PgDataLayout.CONTENTS_EXCLUDED.contains(name) ? null : Place.OTHER;
                };
                case BASE, TABLESPACE_VERSION -> Place.DATABASE;
                // an in-place tablespace (allow_in_place_tablespaces) is a directory instead of a link
                case TABLESPACES -> Place.TABLESPACE;
                case TABLESPACE -> Place.TABLESPACE_VERSION;
                // the kept pg_wal subdirectories are copied empty
                case WAL -> null;
                case OTHER, DATABASE -> Place.OTHER;
            };
        }

        private PgDataEntry entry(String path, PgDataEntry.Type type, Path absolute, PosixFileAttributes attrs,
                Path linkTarget) {
            boolean file = type == PgDataEntry.Type.FILE;
            return new PgDataEntry(path, type, absolute, file ? attrs.size() : 0,
                    attrs.lastModifiedTime().toMillis(), mode(attrs.permissions()), Optional.ofNullable(linkTarget),
                    file && PgDataLayout.isRelationFile(path));
        }
    }

    /**
     * Relfilenodes that have an init fork: unlogged relations. Their other forks are not copied,
     * since recovery resets an unlogged relation by copying its init fork over the main fork.
     */
    private static Set<String> unloggedRelations(List<String> names) {
        Set<String> result = new HashSet<>();
        for (String name : names) {
            if (PgDataLayout.isRelationFileName(name)) {
                PgDataLayout.RelationFile r = PgDataLayout.parseRelationFileName(name);
                if (r.isInitFork()) {
                    result.add(r.relfilenode());
                }
            }
        }
        return result;
    }

    private static boolean isUnloggedNonInitFork(String name, Set<String> unlogged) {
        if (unlogged.isEmpty() || !PgDataLayout.isRelationFileName(name)) {
            return false;
        }
        PgDataLayout.RelationFile r = PgDataLayout.parseRelationFileName(name);
        return unlogged.contains(r.relfilenode()) && !r.isInitFork();
    }

    private static int mode(Set<PosixFilePermission> permissions) {
        int mode = 0;
        for (PosixFilePermission p : permissions) {
            // the enum lists owner read/write/execute, then group, then others: bit 8 down to bit 0
            mode |= 1 << (8 - p.ordinal());
        }
        return mode;
    }

    private static PgwardenException unreadable(Path path, IOException e) {
        return new PgwardenException(ErrorCode.PG_DATA_UNREADABLE,
                "unable to read '" + path + "' in the data directory: " + e.getClass().getSimpleName()
                        + (e.getMessage() == null ? "" : " " + e.getMessage()),
                "pgwarden must run as the OS user that owns the data directory, usually 'postgres'", e);
    }
}
