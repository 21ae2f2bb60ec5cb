package org.pgwarden.pg;

import java.nio.file.Path;
import java.util.Comparator;
import java.util.Objects;
import java.util.Optional;

/**
 * One file, directory or symbolic link a physical backup copies from the data directory.
 *
 * @param path        relative to the data directory, {@code /}-separated, never empty, never
 *                    starting or ending with {@code /}; tablespace contents appear below
 *                    {@code pg_tblspc/<oid>/}, the link they were reached through
 * @param absolute    where to read it now (through the tablespace link for tablespace contents)
 * @param size        bytes for a file when it was listed (it may still grow or shrink while
 *                    PostgreSQL runs); 0 for directories and links
 * @param mtimeMillis last modification, milliseconds since the epoch
 * @param mode        POSIX permission bits ({@code 0600}, {@code 0700}, ...)
 * @param linkTarget  the target of a {@link Type#SYMLINK}, as stored in the link
 * @param relation    whether it is a relation segment file (see {@link PgDataLayout#isRelationFile})
 *                    whose pages carry checksums and may be copied block by block
 */
public record PgDataEntry(
        String path,
        Type type,
        Path absolute,
        long size,
        long mtimeMillis,
        int mode,
        Optional<Path> linkTarget,
        boolean relation) {

    public enum Type { FILE, DIRECTORY, SYMLINK }

    /**
     * The order of {@link PgDataWalker#entries()} and of the backup manifest: the whole path
     * compared as unsigned UTF-8 bytes (equivalently, code point by code point). This is not
     * "parent, then its children": {@code base/1} sorts before {@code base/1-old}, which sorts
     * before {@code base/1/112}, because {@code '-'} (0x2D) is below {@code '/'} (0x2F). It is the
     * order S3 lists keys in and what a plain byte-wise sort of the paths gives, so any other list
     * of paths can be merged with a walk without re-sorting either.
     */
    public static final Comparator<String> PATH_ORDER = PgDataEntry::comparePaths;

    public PgDataEntry {
        Objects.requireNonNull(path, "path");
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(absolute, "absolute");
        Objects.requireNonNull(linkTarget, "linkTarget");
        if (path.isEmpty() || path.startsWith("/") || path.endsWith("/")) {
            throw new IllegalArgumentException("a data directory entry path is relative and has no trailing '/': '"
                    + path + "'");
        }
        if ((type == Type.SYMLINK) != linkTarget.isPresent()) {
            throw new IllegalArgumentException("exactly the symbolic links have a target: '" + path + "'");
        }
    }

    public boolean isFile() {
        return type == Type.FILE;
    }

    /** Unsigned UTF-8 byte order, computed on code points (the two orders are the same). */
    public static int comparePaths(String a, String b) {
        int i = 0;
        int j = 0;
        while (i < a.length() && j < b.length()) {
            int ca = a.codePointAt(i);
            int cb = b.codePointAt(j);
            if (ca != cb) {
                return Integer.compare(ca, cb);
            }
            i += Character.charCount(ca);
            j += Character.charCount(cb);
        }
        return Integer.compare(a.length() - i, b.length() - j);
    }
}
