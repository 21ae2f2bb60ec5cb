package org.pgwarden.app;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.EnumSet;
import java.util.Set;
import org.pgwarden.common.ErrorCode;
import org.pgwarden.common.PgwardenException;
import org.pgwarden.common.Secret;

/**
 * The admin API's bearer token, read from {@code admin.token-file}. The daemon refuses to start
 * with a file others could read or that another user owns, the same rule OpenSSH applies to
 * private keys: a token anyone on the host can read protects nothing. The value is only ever a
 * {@link Secret}; messages name the file, never its content.
 */
final class AdminToken {
    /** Shorter tokens are refused: guessable by trying. 16 characters of base64 are 96 bits. */
    static final int MIN_LENGTH = 16;
    private static final Set<PosixFilePermission> OTHERS = EnumSet.of(
            PosixFilePermission.GROUP_READ, PosixFilePermission.GROUP_WRITE, PosixFilePermission.GROUP_EXECUTE,
            PosixFilePermission.OTHERS_READ, PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_EXECUTE);
    private static final String CREATE_HINT = "create it as the daemon's user with: umask 077;"
            + " head -c 32 /dev/urandom | base64 > FILE";

    private AdminToken() {
    }

    /** For the daemon: the file must be mode 0600 or stricter and owned by the user running it. */
    static Secret loadForDaemon(Path file) {
        try {
            Set<PosixFilePermission> mode = Files.getPosixFilePermissions(file, LinkOption.NOFOLLOW_LINKS);
            if (mode.stream().anyMatch(OTHERS::contains)) {
                throw invalid("admin token file '" + file + "' has mode " + octal(mode)
                        + "; it must be 0600 or stricter (readable by its owner only)", "chmod 600 " + file);
            }
            String owner = Files.getOwner(file, LinkOption.NOFOLLOW_LINKS).getName();
            String me = System.getProperty("user.name");
            if (!owner.equals(me)) {
                throw invalid("admin token file '" + file + "' is owned by '" + owner + "', not by '" + me
                        + "', the user the daemon runs as", "chown " + me + " " + file);
            }
        } catch (NoSuchFileException e) {
            throw invalid("admin token file '" + file + "' does not exist", CREATE_HINT.replace("FILE", file.toString()));
        } catch (IOException | UnsupportedOperationException e) {
            throw invalid("unable to check admin token file '" + file + "': " + e.getClass().getSimpleName(), null);
        }
        return read(file);
    }

    /** For the command line talking to the daemon: the file only has to be readable. */
    static Secret read(Path file) {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw invalid("admin token file '" + file + "' does not exist", CREATE_HINT.replace("FILE", file.toString()));
        } catch (IOException e) {
            throw invalid("unable to read admin token file '" + file + "': " + e.getClass().getSimpleName(),
                    "run the command as the daemon's user (or root)");
        }
        String token = text.strip();
        if (token.length() < MIN_LENGTH || token.chars().anyMatch(c -> c <= ' ' || c > '~')) {
            throw invalid("admin token file '" + file + "' must hold one token of at least " + MIN_LENGTH
                    + " printable characters without spaces", CREATE_HINT.replace("FILE", file.toString()));
        }
        return new Secret(token);
    }

    private static PgwardenException invalid(String message, String hint) {
        return new PgwardenException(ErrorCode.ADMIN_TOKEN_INVALID, message, hint, null);
    }

    private static String octal(Set<PosixFilePermission> mode) {
        String rwx = PosixFilePermissions.toString(mode);
        int v = 0;
        for (int i = 0; i < 9; i++) {
            v = (v << 1) | (rwx.charAt(i) == '-' ? 0 : 1);
        }
        return String.format("0%o", v);
    }
}
