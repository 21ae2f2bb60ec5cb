package org.pgwarden.common;

/** Process exit codes, documented in the README. */
public final class ExitCode {
    public static final int OK = 0;
    public static final int FAILED = 1;
    public static final int USAGE = 2;
    public static final int DEPENDENCY = 3;
    public static final int INTEGRITY = 4;
    public static final int CONFLICT = 5;
    public static final int CANCELLED = 130;

    private ExitCode() {
    }
}
