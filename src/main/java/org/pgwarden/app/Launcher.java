package org.pgwarden.app;

import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * How PostgreSQL should call pgwarden back (archive and restore commands): the {@code bin/pgwarden}
 * launcher next to the distribution this JVM runs from, else {@code pgwarden} on the PATH.
 */
final class Launcher {
    private Launcher() {
    }

    static String command() {
        try {
            Path code = Path.of(Launcher.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            // target/pgwarden.jar or target/classes → <root>/bin/pgwarden
            Path launcher = code.getParent().getParent().resolve("bin").resolve("pgwarden");
            if (Files.isExecutable(launcher)) {
                return launcher.toString();
            }
        } catch (URISyntaxException | RuntimeException e) {
            // fall through to the PATH
        }
        return "pgwarden";
    }
}
