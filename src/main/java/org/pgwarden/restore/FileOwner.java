package org.pgwarden.restore;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.UserPrincipal;
import java.util.EnumSet;
import java.util.Optional;
import java.util.Set;

/**
 * Modes and ownership of restored files. PostgreSQL refuses a data directory it does not own, so
 * when pgwarden restores as root the files are handed to the configured OS user.
 */
final class FileOwner {
    private final Optional<UserPrincipal> user;

    private FileOwner(Optional<UserPrincipal> user) {
        this.user = user;
    }

    /** Hands files to {@code osUser} when running as root; otherwise they stay the current user's. */
    static FileOwner forRestore(Path anyPath, String osUser) throws IOException {
        boolean root = "root".equals(System.getProperty("user.name"));
        if (!root) {
            return new FileOwner(Optional.empty());
        }
        return new FileOwner(Optional.of(anyPath.getFileSystem().getUserPrincipalLookupService()
                .lookupPrincipalByName(osUser)));
    }

    void apply(Path p, int mode) throws IOException {
        if (user.isPresent()) {
            Files.setOwner(p, user.get());
        }
        Files.setPosixFilePermissions(p, permissions(mode));
    }

    /** Hands over a directory; data directories must be 0700 (or 0750) for PostgreSQL to start. */
    void directory(Path p, int mode) throws IOException {
        apply(p, mode == 0 ? 0700 : mode);
    }

    static Set<PosixFilePermission> permissions(int mode) {
        Set<PosixFilePermission> s = EnumSet.noneOf(PosixFilePermission.class);
        PosixFilePermission[] order = {PosixFilePermission.OTHERS_EXECUTE, PosixFilePermission.OTHERS_WRITE,
            PosixFilePermission.OTHERS_READ, PosixFilePermission.GROUP_EXECUTE, PosixFilePermission.GROUP_WRITE,
            PosixFilePermission.GROUP_READ, PosixFilePermission.OWNER_EXECUTE, PosixFilePermission.OWNER_WRITE,
            PosixFilePermission.OWNER_READ};
        for (int bit = 0; bit < order.length; bit++) {
            if ((mode & (1 << bit)) != 0) {
                s.add(order[bit]);
            }
        }
        return s;
    }
}
