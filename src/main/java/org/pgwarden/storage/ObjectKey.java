package org.pgwarden.storage;

import java.util.Objects;

/**
 * A key in the repository, relative to the repository root (the S3 prefix or the directory):
 * segments separated by {@code /}, no leading or trailing slash, no empty, {@code .} or {@code ..}
 * segment, so a key can never escape the repository on a filesystem.
 */
public record ObjectKey(String value) implements Comparable<ObjectKey> {
    public ObjectKey {
        Objects.requireNonNull(value, "value");
        if (value.isEmpty() || value.startsWith("/") || value.endsWith("/") || value.contains("//")) {
            throw new IllegalArgumentException("invalid object key '" + value + "': expected segments separated by '/'");
        }
        for (String seg : value.split("/")) {
            if (seg.equals(".") || seg.equals("..") || seg.indexOf('\0') >= 0 || seg.indexOf('\\') >= 0) {
                throw new IllegalArgumentException("invalid object key '" + value + "': segment '" + seg + "'");
            }
        }
    }

    public static ObjectKey of(String first, String... more) {
        StringBuilder sb = new StringBuilder(first);
        for (String m : more) {
            sb.append('/').append(m);
        }
        return new ObjectKey(sb.toString());
    }

    public ObjectKey resolve(String child) {
        return new ObjectKey(value + "/" + child);
    }

    /** The last segment. */
    public String name() {
        int i = value.lastIndexOf('/');
        return i < 0 ? value : value.substring(i + 1);
    }

    /** The prefix for listing everything under this key as a directory: {@code value + "/"}. */
    public String asPrefix() {
        return value + "/";
    }

    @Override
    public int compareTo(ObjectKey o) {
        return value.compareTo(o.value);
    }

    @Override
    public String toString() {
        return value;
    }
}
