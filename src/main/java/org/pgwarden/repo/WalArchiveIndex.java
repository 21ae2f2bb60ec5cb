package org.pgwarden.repo;

import java.util.Optional;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.pgwarden.storage.ObjectInfo;
import org.pgwarden.storage.ObjectKey;
import org.pgwarden.storage.ObjectStore;

/**
 * Where archived WAL lives and what is there. Each file is stored once as
 * {@code wal/<timeline>/<file name>-<first 16 hex digits of its SHA-256>}: the timeline directory
 * keeps listing a range cheap, and the checksum in the key lets a second push of the same name be
 * compared without reading the object.
 */
public final class WalArchiveIndex {
    /** A segment ({@code 000000010000000000000003}), possibly {@code .partial}, a history or a backup history file. */
    private static final Pattern WAL_FILE = Pattern.compile(
            "[0-9A-F]{24}(\\.partial)?|[0-9A-F]{8}\\.history|[0-9A-F]{24}\\.[0-9A-F]{8}\\.backup");
    static final String PREFIX = "wal/";
    private static final int SHA_DIGITS = 16;

    private final ObjectStore store;

    public WalArchiveIndex(ObjectStore store) {
        this.store = store;
    }

    /** Whether {@code name} is a WAL file name PostgreSQL hands to archive_command. */
    public static boolean isWalFileName(String name) {
        return WAL_FILE.matcher(name).matches();
    }

    /** The key {@code name} with content checksum {@code sha256Hex} is stored under. */
    public static ObjectKey key(String name, String sha256Hex) {
        return ObjectKey.of("wal", timelineOf(name), name + "-" + sha256Hex.substring(0, SHA_DIGITS));
    }

    /** The first 16 hex digits of the checksum recorded in a WAL object's key. */
    public static String checksumPrefix(ObjectKey key) {
        String n = key.name();
        return n.substring(n.lastIndexOf('-') + 1);
    }

    /** The archived copy of {@code name}, if any. */
    public Optional<ObjectInfo> find(String name) {
        try (Stream<ObjectInfo> s = store.list(PREFIX + timelineOf(name) + "/" + name + "-")) {
            return s.filter(i -> i.key().name().length() == name.length() + 1 + SHA_DIGITS).findFirst();
        }
    }

    /** Archived files of one timeline ({@code 00000001}), in name order; the caller closes the stream. */
    public Stream<ObjectInfo> list(String timelineHex) {
        return store.list(PREFIX + timelineHex + "/");
    }

    /** Every archived file of every timeline, in key order; the caller closes the stream. */
    public Stream<ObjectInfo> listAll() {
        return store.list(PREFIX);
    }

    /** The WAL file name an archived object holds. */
    public static String fileName(ObjectKey key) {
        String n = key.name();
        return n.substring(0, n.lastIndexOf('-'));
    }

    private static String timelineOf(String name) {
        if (!isWalFileName(name)) {
            throw new IllegalArgumentException("not a WAL file name: '" + name + "'");
        }
        return name.substring(0, 8);
    }
}
