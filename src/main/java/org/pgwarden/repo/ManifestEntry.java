package org.pgwarden.repo;

import java.util.List;
import java.util.Objects;

/**
 * One entry of PGDATA (or of a tablespace below {@code pg_tblspc/}) as it was backed up. A file's
 * slices cover {@code [0, size)} in order without gaps, so restore writes exactly the bytes
 * listed; its {@code sha256} covers the whole plaintext and is checked after writing.
 *
 * @param path         relative to PGDATA, {@code /}-separated
 * @param size         bytes; 0 for directories and symlinks
 * @param mtimeMillis  modification time, milliseconds since the epoch
 * @param mode         permission bits as in {@code stat} (e.g. {@code 0600})
 * @param linkTarget   the target of a symlink; null otherwise
 * @param sha256       hex SHA-256 of the file's content; null for directories and symlinks
 * @param invalidPages block numbers whose page checksum failed while reading, ascending
 */
public record ManifestEntry(String path, Type type, long size, long mtimeMillis, int mode, String linkTarget,
        String sha256, List<Slice> slices, List<Long> invalidPages) {

    public enum Type {
        FILE,
        DIRECTORY,
        SYMLINK
    }

    public ManifestEntry {
        ManifestRules.relativePath(path);
        Objects.requireNonNull(type, "type");
        ManifestRules.notNegative("size of '" + path + "'", size);
        if (mode < 0 || mode > 07777) {
            throw new IllegalArgumentException("mode of '" + path + "' must be within 0..07777, got " + mode);
        }
        slices = List.copyOf(slices == null ? List.of() : slices);
        invalidPages = List.copyOf(invalidPages == null ? List.of() : invalidPages);
        if (type == Type.FILE) {
            ManifestRules.sha256("sha256 of '" + path + "'", sha256);
            requireCovering(path, size, slices);
            requireAscending(path, invalidPages);
        } else {
            if (size != 0 || sha256 != null || !slices.isEmpty() || !invalidPages.isEmpty()) {
                throw new IllegalArgumentException(type + " '" + path + "' must have no size, checksum, slices or invalid pages");
            }
        }
        if ((type == Type.SYMLINK) != (linkTarget != null)) {
            throw new IllegalArgumentException("'" + path + "': a link target is required for symlinks and only for them");
        }
        if (linkTarget != null && linkTarget.isEmpty()) {
            throw new IllegalArgumentException("symlink '" + path + "' has an empty target");
        }
    }

    public static ManifestEntry file(String path, long size, long mtimeMillis, int mode, String sha256,
            List<Slice> slices, List<Long> invalidPages) {
        return new ManifestEntry(path, Type.FILE, size, mtimeMillis, mode, null, sha256, slices, invalidPages);
    }

    public static ManifestEntry directory(String path, long mtimeMillis, int mode) {
        return new ManifestEntry(path, Type.DIRECTORY, 0, mtimeMillis, mode, null, null, List.of(), List.of());
    }

    public static ManifestEntry symlink(String path, long mtimeMillis, int mode, String linkTarget) {
        return new ManifestEntry(path, Type.SYMLINK, 0, mtimeMillis, mode, linkTarget, null, List.of(), List.of());
    }

    private static void requireCovering(String path, long size, List<Slice> slices) {
        long next = 0;
        for (Slice s : slices) {
            if (s.fileOffset() != next) {
                throw new IllegalArgumentException("slices of '" + path + "' must cover the file in order: expected offset "
                        + next + ", got " + s.fileOffset());
            }
            next = s.end();
        }
        if (next != size) {
            throw new IllegalArgumentException("slices of '" + path + "' cover " + next + " bytes, but its size is " + size);
        }
    }

    private static void requireAscending(String path, List<Long> pages) {
        long previous = -1;
        for (Long p : pages) {
            if (p == null || p <= previous) {
                throw new IllegalArgumentException("invalid pages of '" + path + "' must be distinct block numbers in ascending order");
            }
            previous = p;
        }
    }
}
