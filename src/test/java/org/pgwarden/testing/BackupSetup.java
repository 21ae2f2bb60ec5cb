package org.pgwarden.testing;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;
import org.pgwarden.adapter.fs.FilesystemObjectStore;
import org.pgwarden.adapter.process.LocalCluster;
import org.pgwarden.adapter.process.PgBinaries;
import org.pgwarden.adapter.process.ProcessRunner;
import org.pgwarden.codec.Codec;
import org.pgwarden.crypto.DataKeyCache;
import org.pgwarden.crypto.KeyWrapper;
import org.pgwarden.crypto.LocalKeyFileWrapper;
import org.pgwarden.repo.Keyring;
import org.pgwarden.repo.ManifestEntry;
import org.pgwarden.repo.SealedObjects;
import org.pgwarden.repo.Slice;
import org.pgwarden.storage.ObjectStore;

/**
 * A cluster archiving its WAL into a filesystem repository through the real
 * {@code archive_command = 'bin/pgwarden wal-push %p'}, as the {@code postgres} OS user, plus the
 * configuration file the tests drive pgwarden with.
 */
public final class BackupSetup implements AutoCloseable {
    private final Path dir;
    private final Path config;
    private final Path repository;
    private final Path key;
    private final PostgresFixture pg;

    private BackupSetup(Path dir, Path config, Path repository, Path key, PostgresFixture pg) {
        this.dir = dir;
        this.config = config;
        this.repository = repository;
        this.key = key;
        this.pg = pg;
    }

    /**
     * @param dir      a fresh directory; made traversable so the postgres OS user reaches its files
     * @param settings extra postgresql.conf settings
     */
    public static BackupSetup start(Path dir, Map<String, String> settings, String extraYaml) throws IOException {
        return start(dir, PgBinaries.locate(Optional.empty()), settings, extraYaml, "");
    }

    /**
     * As {@link #start(Path, Map, String)} with the cluster run by {@code binaries}; the
     * configuration's {@code postgres.bin-directory} names their directory too.
     */
    public static BackupSetup start(Path dir, PgBinaries binaries, Map<String, String> settings, String extraYaml)
            throws IOException {
        return start(dir, binaries, settings, extraYaml, "");
    }

    /** @param backupYaml extra lines of the {@code backup:} section, each indented by two spaces */
    public static BackupSetup start(Path dir, Map<String, String> settings, String extraYaml, String backupYaml)
            throws IOException {
        return start(dir, PgBinaries.locate(Optional.empty()), settings, extraYaml, backupYaml);
    }

    public static BackupSetup start(Path dir, PgBinaries binaries, Map<String, String> settings, String extraYaml,
            String backupYaml)
            throws IOException {
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path config = dir.resolve("pgwarden.yaml");
        Path repository = Files.createDirectories(dir.resolve("repository"));
        Path key = dir.resolve("repository.key");
        LocalKeyFileWrapper.generateKeyFile(key);
        givePostgres(repository);
        givePostgres(key);
        String archive = archiveCommand(config);
        PostgresFixture pg = PostgresFixture.start(LocalCluster.options().binaries(binaries).dataChecksums(true)
                .settings(settings)
                .setting("archive_mode", "on").setting("archive_command", archive)
                .setting("archive_timeout", "0"));
        LocalCluster c = pg.cluster();
        Files.writeString(config, """
                stanza: test
                postgres:
                  data-directory: %s
                  bin-directory: %s
                  connection:
                    host: 127.0.0.1
                    port: %d
                    connect-timeout: 5s
                  retry:
                    max-attempts: 2
                    initial-delay: 50ms
                    max-delay: 100ms
                repository:
                  type: filesystem
                  filesystem:
                    path: %s
                encryption:
                  provider: local
                  local:
                    key-file: %s
                backup:
                  fast-start: true
                  archive-timeout: 60s
                """.formatted(c.dataDirectory(), c.binaries().path(PgBinaries.Program.POSTGRES).getParent(), c.port(),
                repository, key) + backupYaml + extraYaml, StandardCharsets.UTF_8);
        String tail = backupYaml + extraYaml;
        if (!tail.startsWith("wal:") && !tail.contains("\nwal:")) {
            // The test's own socket directory, never the shared default under /run.
            Path run = Files.createDirectories(dir.resolve("run"));
            givePostgres(run);
            Files.writeString(config, "wal:\n  socket: " + run.resolve("wal.sock") + "\n",
                    StandardCharsets.UTF_8, java.nio.file.StandardOpenOption.APPEND);
        }
        Files.setPosixFilePermissions(config, PosixFilePermissions.fromString("rw-r--r--"));
        return new BackupSetup(dir, config, repository, key, pg);
    }

    /** The archive_command these clusters run: {@code bin/pgwarden --config <config> wal-push %p}. */
    public static String archiveCommand(Path config) {
        return Distribution.launcher() + " --config " + config + " wal-push %p";
    }

    /** Hands a path to the postgres OS user when the tests run as root (archive_command runs as postgres). */
    public static void givePostgres(Path p) throws IOException {
        if (!ProcessRunner.forCurrentUser().switchesToPostgresUser()) {
            return;
        }
        UserPrincipal postgres = p.getFileSystem().getUserPrincipalLookupService()
                .lookupPrincipalByName(ProcessRunner.POSTGRES_USER);
        Files.setOwner(p, postgres);
    }

    public Path dir() {
        return dir;
    }

    public Path config() {
        return config;
    }

    public Path repository() {
        return repository;
    }

    /** The local master key file the configuration names. */
    public Path key() {
        return key;
    }

    public PostgresFixture pg() {
        return pg;
    }

    /** Runs {@code pgwarden --config <config> args...} in this JVM. */
    public CliRun cli(String... args) {
        String[] all = new String[args.length + 2];
        all[0] = "--config";
        all[1] = config.toString();
        System.arraycopy(args, 0, all, 2, args.length);
        return CliRun.run(all);
    }

    /** The repository opened with the test's key, for working behind pgwarden's back. */
    public record Repository(ObjectStore store, Keyring keyring, SealedObjects objects) {
    }

    public Repository open() {
        ObjectStore store = new FilesystemObjectStore(repository);
        KeyWrapper wrapper = LocalKeyFileWrapper.open(key);
        Keyring keyring = new Keyring(store, "test", wrapper, new DataKeyCache(Duration.ofMinutes(5), 64,
                Clock.systemUTC()), Clock.systemUTC());
        return new Repository(store, keyring, new SealedObjects(store, "test", keyring, Codec.zstd(1)));
    }

    /** The repository's sealed objects, opened with the test's key, for reading behind pgwarden's back. */
    public SealedObjects objects() {
        return open().objects();
    }

    /**
     * Reassembles {@code entry} from the chunks its slices name and checks every slice's and the
     * whole file's SHA-256: what restore will do, proven here from the repository alone.
     */
    public static byte[] reassemble(SealedObjects objects, ManifestEntry entry) throws Exception {
        MessageDigest whole = MessageDigest.getInstance("SHA-256");
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        for (Slice s : entry.slices()) {
            byte[] data;
            try (InputStream in = objects.openChunk(s.ref())) {
                in.skipNBytes(s.ref().sliceOffset());
                data = in.readNBytes((int) s.length());
                // Read to the end: the last segment's tag is checked only there.
                in.transferTo(java.io.OutputStream.nullOutputStream());
            }
            String sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
            if (!sha.equals(s.sha256())) {
                throw new AssertionError("slice at " + s.fileOffset() + " of '" + entry.path() + "' does not match");
            }
            whole.update(data);
            out.write(data);
        }
        if (!HexFormat.of().formatHex(whole.digest()).equals(entry.sha256())) {
            throw new AssertionError("'" + entry.path() + "' does not match its manifest checksum");
        }
        return out.toByteArray();
    }

    @Override
    public void close() {
        pg.close();
    }
}
