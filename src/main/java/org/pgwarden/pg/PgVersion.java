package org.pgwarden.pg;

import java.util.Comparator;

/**
 * A PostgreSQL server version as reported by {@code server_version_num} ({@code 150010} is
 * 15.10). Only the two-part numbering of PostgreSQL 10 and later is accepted: older releases are
 * out of support and their backup functions differ, so refusing them early beats failing halfway
 * through a backup.
 */
public record PgVersion(int major, int minor) implements Comparable<PgVersion> {
    private static final Comparator<PgVersion> ORDER =
            Comparator.comparingInt(PgVersion::major).thenComparingInt(PgVersion::minor);

    public PgVersion {
        if (major < 10 || minor < 0 || minor > 9999) {
            throw new IllegalArgumentException("expected PostgreSQL 10 or later with a minor version in 0..9999, got major "
                    + major + " minor " + minor);
        }
    }

    /** From {@code server_version_num}, e.g. {@code 170002} is 17.2. */
    public static PgVersion fromVersionNum(int versionNum) {
        if (versionNum < 100000) {
            throw new IllegalArgumentException("server_version_num " + versionNum
                    + " is older than PostgreSQL 10, which pgwarden does not support");
        }
        return new PgVersion(versionNum / 10000, versionNum % 10000);
    }

    /** From the text of {@code current_setting('server_version_num')}. */
    public static PgVersion parseVersionNum(String text) {
        if (text == null || !text.trim().matches("\\d{1,9}")) {
            throw new IllegalArgumentException("expected server_version_num such as '150010', got '" + text + "'");
        }
        return fromVersionNum(Integer.parseInt(text.trim()));
    }

    /** The {@code server_version_num} form, e.g. {@code 150010}. */
    public int versionNum() {
        return major * 10000 + minor;
    }

    public boolean isAtLeast(int otherMajor) {
        return major >= otherMajor;
    }

    @Override
    public int compareTo(PgVersion o) {
        return ORDER.compare(this, o);
    }

    /** {@code 15.10}. */
    @Override
    public String toString() {
        return major + "." + minor;
    }
}
