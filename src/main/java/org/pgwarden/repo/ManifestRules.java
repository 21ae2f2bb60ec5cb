package org.pgwarden.repo;

import java.util.regex.Pattern;

/**
 * Shape checks shared by the manifest records. They throw {@link IllegalArgumentException}: a
 * writer that breaks them has a bug; the reader turns them into integrity errors.
 */
final class ManifestRules {
    private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");
    private static final Pattern LSN = Pattern.compile("[0-9A-F]{1,8}/[0-9A-F]{1,8}");

    private ManifestRules() {
    }

    static String sha256(String what, String hex) {
        if (hex == null || !SHA256.matcher(hex).matches()) {
            throw new IllegalArgumentException(what + " must be 64 lowercase hex digits, got '" + hex + "'");
        }
        return hex;
    }

    /** PostgreSQL's text form of an LSN, {@code 16/B374D848}; upper case as PostgreSQL prints it. */
    static String lsn(String what, String lsn) {
        if (lsn == null || !LSN.matcher(lsn).matches()) {
            throw new IllegalArgumentException(what + " must be an LSN like '16/B374D848', got '" + lsn + "'");
        }
        return lsn;
    }

    /**
     * A path relative to PGDATA with {@code /} separators that cannot escape the restore target:
     * no leading or trailing slash, no empty, {@code .} or {@code ..} segment, no NUL.
     */
    static String relativePath(String path) {
        if (path == null || path.isEmpty() || path.startsWith("/") || path.endsWith("/") || path.contains("//")
                || path.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("invalid manifest path '" + path + "': expected a relative path");
        }
        for (String seg : path.split("/")) {
            if (seg.equals(".") || seg.equals("..")) {
                throw new IllegalArgumentException("invalid manifest path '" + path + "': segment '" + seg + "'");
            }
        }
        return path;
    }

    static long notNegative(String what, long value) {
        if (value < 0) {
            throw new IllegalArgumentException(what + " must not be negative, got " + value);
        }
        return value;
    }

    static long positive(String what, long value) {
        if (value <= 0) {
            throw new IllegalArgumentException(what + " must be positive, got " + value);
        }
        return value;
    }
}
