package org.pgwarden.adapter.fs;

import java.nio.file.Path;
import java.util.HexFormat;
import java.util.concurrent.ThreadLocalRandom;
import org.pgwarden.common.ErrorCode;
import org.pgwarden.common.PgwardenException;
import org.pgwarden.storage.ObjectKey;

/**
 * Maps keys to files under the root and names the temporary files writes go through. Temporary
 * files live next to their target (so the final rename stays inside one directory and one
 * filesystem) under a reserved name prefix that no key segment may use.
 */
final class FsPaths {
    static final String TEMP_PREFIX = ".pgw-tmp-";

    private final Path root;

    FsPaths(Path root) {
        this.root = root.toAbsolutePath().normalize();
    }

    Path root() {
        return root;
    }

    /** The file of {@code key}; refuses keys that would land outside the root or on a temporary name. */
    Path resolve(String operation, ObjectKey key) {
        for (String segment : key.value().split("/")) {
            if (isTemporary(segment)) {
                throw new PgwardenException(ErrorCode.REPO_REQUEST_INVALID, "unable to " + operation + " '" + key
                        + "' in '" + root + "': key segments must not start with '" + TEMP_PREFIX + "' (reserved)");
            }
        }
        Path p = root.resolve(key.value()).normalize();
        // ObjectKey already forbids '..' and absolute keys; this guards against a future change there.
        if (!p.startsWith(root) || p.equals(root)) {
            throw new PgwardenException(ErrorCode.REPO_REQUEST_INVALID,
                    "unable to " + operation + " '" + key + "': the key resolves outside '" + root + "'");
        }
        return p;
    }

    /** The key of a file under the root, with '/' separators whatever the platform. */
    String keyOf(Path file) {
        StringBuilder sb = new StringBuilder();
        for (Path segment : root.relativize(file)) {
            if (sb.length() > 0) {
                sb.append('/');
            }
            sb.append(segment);
        }
        return sb.toString();
    }

    static Path temporaryNextTo(Path target) {
        byte[] random = new byte[8];
        ThreadLocalRandom.current().nextBytes(random);
        return target.resolveSibling(TEMP_PREFIX + HexFormat.of().formatHex(random));
    }

    static boolean isTemporary(String fileName) {
        return fileName.startsWith(TEMP_PREFIX);
    }
}
