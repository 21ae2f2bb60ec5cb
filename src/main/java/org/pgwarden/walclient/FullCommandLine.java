package org.pgwarden.walclient;

import java.lang.reflect.InvocationTargetException;

/**
 * The full command line ({@code org.pgwarden.Main}), run in this JVM by the fast clients when they
 * do not handle a call themselves. Looked up by name, so none of it loads before it is needed.
 */
public final class FullCommandLine {
    private static final String FULL_MAIN = "org.pgwarden.Main";

    private FullCommandLine() {
    }

    /** Runs {@code args}; the full command line exits the JVM with its exit code. */
    public static void run(String[] args) {
        try {
            Class.forName(FULL_MAIN).getMethod("main", String[].class).invoke(null, (Object) args);
        } catch (InvocationTargetException e) {
            System.err.println("pgwarden: error: " + e.getCause());
            System.exit(1);
        } catch (ReflectiveOperationException e) {
            System.err.println("pgwarden: error: unable to start the full command line (" + e
                    + "); HINT: the class path must hold target/pgwarden.jar and target/lib");
            System.exit(2);
        }
    }
}
