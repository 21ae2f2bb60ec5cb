package org.pgwarden.adapter.process;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.UserPrincipal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;
import org.pgwarden.adapter.process.PgBinaries.Program;
import org.pgwarden.common.ErrorCode;
import org.pgwarden.common.PgwardenException;
import org.pgwarden.common.RetryPolicy;
import org.pgwarden.config.PostgresConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A throwaway PostgreSQL cluster in a temporary directory, on a free port on the loopback
 * interface, with its Unix socket in that directory. Used by the {@code demo} command and by
 * tests. {@link #close()} always stops the server and deletes the directory; a JVM shutdown hook
 * does the same if the owner forgot, so nothing is left running.
 *
 * <p>Settings favour speed over durability ({@code fsync=off}, {@code initdb --no-sync}): the
 * data is meant to be thrown away.
 */
public final class LocalCluster implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(LocalCluster.class);
    private static final String SUPERUSER = "postgres";
    private static final String DATABASE = "postgres";
    private static final Duration INITDB_TIMEOUT = Duration.ofMinutes(2);
    private static final Duration START_TIMEOUT = Duration.ofSeconds(60);
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(30);
    private static final Duration CLIENT_TIMEOUT = Duration.ofMinutes(10);
    private static final int START_TRIES = 3;
    private static final int MAX_SOCKET_PATH = 107;
    private static final String DEFAULT_PREFIX = "pgwarden-pg-";
    /** In every cluster directory: the pid of the JVM that made it, so a later one can tell it was abandoned. */
    private static final String OWNER_FILE = "owner.pid";

    /** How to create a cluster; every option has a default. */
    public static final class Options {
        private PgBinaries binaries;
        private ProcessRunner runner;
        private Path parentDirectory;
        private boolean dataChecksums;
        private Duration startTimeout = START_TIMEOUT;
        private String directoryPrefix = DEFAULT_PREFIX;
        private final Map<String, String> settings = new LinkedHashMap<>();

        private Options() {
        }

        /** Defaults to {@link PgBinaries#locate(Optional)} with no configured directory. */
        public Options binaries(PgBinaries value) {
            this.binaries = Objects.requireNonNull(value);
            return this;
        }

        public Options runner(ProcessRunner value) {
            this.runner = Objects.requireNonNull(value);
            return this;
        }

        /** Where the temporary directory is made; the system temp directory by default. */
        public Options parentDirectory(Path value) {
            this.parentDirectory = Objects.requireNonNull(value);
            return this;
        }

        /** {@code initdb --data-checksums}; off by default, as in PostgreSQL 15. */
        public Options dataChecksums(boolean value) {
            this.dataChecksums = value;
            return this;
        }

        /**
         * How the cluster's directory name starts ({@code pgwarden-pg-} by default), so that
         * {@link LocalCluster#removeAbandoned} can find the ones of one purpose.
         */
        public Options directoryPrefix(String value) {
            if (!value.matches("[a-z0-9-]{1,40}")) {
                throw new IllegalArgumentException("not a directory prefix: '" + value + "'");
            }
            this.directoryPrefix = value;
            return this;
        }

        /** How long {@link LocalCluster#start()} waits for the server to accept connections; 60s by default. */
        public Options startTimeout(Duration value) {
            if (value.isNegative() || value.isZero()) {
                throw new IllegalArgumentException("start timeout must be positive, got " + value);
            }
            this.startTimeout = value;
            return this;
        }

        /**
         * A {@code postgresql.conf} setting, written quoted, e.g. {@code ("archive_mode", "on")}.
         * Later settings override the defaults and earlier ones.
         */
        public Options setting(String name, String value) {
            if (!name.matches("[a-z_][a-z0-9_.]*")) {
                throw new IllegalArgumentException("not a PostgreSQL setting name: '" + name + "'");
            }
            settings.put(name, Objects.requireNonNull(value));
            return this;
        }

        public Options settings(Map<String, String> values) {
            values.forEach(this::setting);
            return this;
        }
    }

    private final PgBinaries binaries;
    private final ProcessRunner runner;
    private final Path baseDirectory;
    private final Path socketDirectory;
    private final Path dataDirectory;
    private final Path logFile;
    private final Thread shutdownHook;
    private int port;
    private Duration startTimeout = START_TIMEOUT;
    /** Settings {@link #start()} still has to write: a data directory filled by the caller after {@link #createEmpty}. */
    private Map<String, String> pendingSettings;
    /** The data directory is a copy the caller filled ({@link #createEmpty}), not one our initdb made. */
    private boolean copied;
    private boolean everStarted;
    private volatile long postmasterPid = -1;
    private volatile boolean closed;

    private LocalCluster(PgBinaries binaries, ProcessRunner runner, Path baseDirectory, Path socketDirectory,
            int port) {
        this.binaries = binaries;
        this.runner = runner;
        this.baseDirectory = baseDirectory;
        this.socketDirectory = socketDirectory;
        this.dataDirectory = baseDirectory.resolve("data");
        this.logFile = baseDirectory.resolve("postgres.log");
        this.port = port;
        this.shutdownHook = new Thread(this::closeFromHook, "local-cluster-cleanup");
    }

    public static Options options() {
        return new Options();
    }

    /** Creates and starts a cluster. */
    public static LocalCluster start(Options options) {
        LocalCluster cluster = create(options);
        try {
            cluster.start();
            return cluster;
        } catch (RuntimeException e) {
            cluster.closeAfterFailure(e);
            throw e;
        }
    }

    /** Runs {@code initdb} and writes the settings, without starting the server. */
    public static LocalCluster create(Options options) {
        PgBinaries binaries = options.binaries != null ? options.binaries : PgBinaries.locate(Optional.empty());
        binaries.require(Program.INITDB, Program.PG_CTL, Program.POSTGRES);
        ProcessRunner runner = options.runner != null ? options.runner : ProcessRunner.forCurrentUser();
        Path base = createBaseDirectory(options.parentDirectory, options.directoryPrefix, runner);
        // A Unix socket path is limited to 107 bytes; a deep parent directory gets a short one.
        Path socket = base.resolve(".s.PGSQL.65535").toString().length() <= MAX_SOCKET_PATH ? base
                : createBaseDirectory(Path.of(System.getProperty("java.io.tmpdir")), options.directoryPrefix, runner);
        LocalCluster cluster = new LocalCluster(binaries, runner, base, socket, freePort());
        cluster.startTimeout = options.startTimeout;
        Runtime.getRuntime().addShutdownHook(cluster.shutdownHook);
        try {
            cluster.initdb(options.dataChecksums);
            cluster.writeSettings(options.settings, true);
            return cluster;
        } catch (RuntimeException e) {
            cluster.closeAfterFailure(e);
            throw e;
        }
    }

    /**
     * Makes the cluster's directory without running {@code initdb}: the caller fills
     * {@link #dataDirectory()} (a restore), then {@link #start()} appends the settings to its
     * {@code postgresql.conf} (after the copied ones, so ours win) and starts it. {@link #close()}
     * removes everything, whatever the caller wrote.
     */
    public static LocalCluster createEmpty(Options options) {
        PgBinaries binaries = options.binaries != null ? options.binaries : PgBinaries.locate(Optional.empty());
        binaries.require(Program.PG_CTL, Program.POSTGRES);
        ProcessRunner runner = options.runner != null ? options.runner : ProcessRunner.forCurrentUser();
        Path base = createBaseDirectory(options.parentDirectory, options.directoryPrefix, runner);
        Path socket = base.resolve(".s.PGSQL.65535").toString().length() <= MAX_SOCKET_PATH ? base
                : createBaseDirectory(Path.of(System.getProperty("java.io.tmpdir")), options.directoryPrefix, runner);
        LocalCluster cluster = new LocalCluster(binaries, runner, base, socket, freePort());
        cluster.startTimeout = options.startTimeout;
        cluster.pendingSettings = new LinkedHashMap<>(options.settings);
        cluster.copied = true;
        Runtime.getRuntime().addShutdownHook(cluster.shutdownHook);
        return cluster;
    }

    private static Path createBaseDirectory(Path parent, String prefix, ProcessRunner runner) {
        try {
            Path base = parent == null ? Files.createTempDirectory(prefix)
                    : Files.createTempDirectory(parent, prefix);
            Files.writeString(base.resolve(OWNER_FILE), Long.toString(ProcessHandle.current().pid()),
                    StandardCharsets.UTF_8);
            if (runner.switchesToPostgresUser()) {
                // the server runs as postgres and must own its directories
                UserPrincipal owner = base.getFileSystem().getUserPrincipalLookupService()
                        .lookupPrincipalByName(ProcessRunner.POSTGRES_USER);
                Files.setOwner(base, owner);
            }
            return base;
        } catch (IOException e) {
            throw new PgwardenException(ErrorCode.PG_PROCESS_FAILED,
                    "unable to create a directory for a local PostgreSQL cluster: " + e.getMessage(),
                    "the OS user '" + ProcessRunner.POSTGRES_USER + "' must exist when running as root", e);
        }
    }

    /** A port nobody listens on right now; {@link #start()} picks another should it be taken meanwhile. */
    private static int freePort() {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new PgwardenException(ErrorCode.PG_PROCESS_FAILED, "unable to find a free TCP port: " + e.getMessage(), e);
        }
    }

    private void initdb(boolean checksums) {
        List<String> cmd = new ArrayList<>(List.of(binaries.path(Program.INITDB).toString(),
                "-D", dataDirectory.toString(), "-U", SUPERUSER, "--auth=trust", "--no-sync",
                // independent of the host's locale setup, which is often missing in containers
                "--encoding=UTF8", "--locale=C"));
        if (checksums) {
            cmd.add("--data-checksums");
        }
        runner.run(cmd, baseDirectory, INITDB_TIMEOUT);
    }

    /**
     * @param ourDefaults also our defaults for a new cluster; never for a copied one, where a
     *                    setting below the source's (max_wal_senders) would stop recovery
     */
    private void writeSettings(Map<String, String> callerSettings, boolean ourDefaults) {
        Map<String, String> all = new LinkedHashMap<>();
        all.put("port", Integer.toString(port));
        all.put("listen_addresses", "127.0.0.1");
        all.put("unix_socket_directories", socketDirectory.toString());
        if (ourDefaults) {
            all.put("wal_level", "replica");
            all.put("max_wal_senders", "4");
            all.put("fsync", "off");
            all.put("shared_buffers", "32MB");
        }
        all.putAll(callerSettings);
        StringBuilder conf = new StringBuilder("\n# throwaway cluster settings\n");
        all.forEach((k, v) -> conf.append(line(k, v)));
        appendToConf(conf.toString());
    }

    private static String line(String name, String value) {
        return name + " = '" + value.replace("'", "''") + "'\n";
    }

    private void appendToConf(String text) {
        // A copied cluster may carry ALTER SYSTEM settings (port, archive_mode); the auto file is read last.
        appendTo(dataDirectory.resolve(copied ? "postgresql.auto.conf" : "postgresql.conf"), text);
    }

    private static void appendTo(Path file, String text) {
        try {
            Files.writeString(file, text, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new PgwardenException(ErrorCode.PG_PROCESS_FAILED,
                    "unable to write settings to '" + file + "': " + e.getMessage(), e);
        }
    }

    /** Starts the server and waits until it accepts connections. */
    public synchronized void start() {
        ensureOpen();
        if (pendingSettings != null) {
            writeSettings(pendingSettings, false);
            pendingSettings = null;
        }
        for (int attempt = 1; ; attempt++) {
            ProcessRunner.Result r = runner.runAllowingFailure(List.of(binaries.path(Program.PG_CTL).toString(),
                    "-D", dataDirectory.toString(), "-l", logFile.toString(), "-w",
                    "-t", Long.toString(Math.max(1, startTimeout.toSeconds())), "start"), baseDirectory,
                    startTimeout.plusSeconds(30));
            if (r.exitCode() == 0) {
                everStarted = true;
                postmasterPid = readPostmasterPid().orElse(-1);
                LOG.info("started PostgreSQL in '{}' on port {} (pid {})", dataDirectory, port, postmasterPid);
                return;
            }
            String log = readLogTail();
            // another process may have taken the port between our probe and the server's bind
            if (!everStarted && attempt < START_TRIES && log.contains("could not bind")) {
                port = freePort();
                appendToConf(line("port", Integer.toString(port)));
                continue;
            }
            throw new PgwardenException(ErrorCode.PG_PROCESS_FAILED,
                    "unable to start PostgreSQL in '" + dataDirectory + "' on port " + port + " (pg_ctl exit code "
                            + r.exitCode() + "); server log ends with:\n" + log,
                    "see '" + logFile + "'", null);
        }
    }

    /** Stops the server at once (no checkpoint: the data is disposable); kills it if pg_ctl cannot. */
    public synchronized void stop() {
        OptionalLong pid = readPostmasterPid();
        if (pid.isEmpty()) {
            return;
        }
        ProcessRunner.Result r = runner.runAllowingFailure(List.of(binaries.path(Program.PG_CTL).toString(),
                "-D", dataDirectory.toString(), "-m", "immediate", "-w",
                "-t", Long.toString(STOP_TIMEOUT.toSeconds()), "stop"), baseDirectory, STOP_TIMEOUT.plusSeconds(10));
        Optional<ProcessHandle> postmaster = ProcessHandle.of(pid.getAsLong());
        if (postmaster.isEmpty()) {
            return;
        }
        if (r.exitCode() != 0) {
            LOG.warn("pg_ctl stop for '{}' exited with {}; killing postmaster {}: {}", dataDirectory, r.exitCode(),
                    pid.getAsLong(), r.output());
            kill(postmaster.get());
        } else if (!exited(postmaster.get(), Duration.ofSeconds(5))) {
            // pg_ctl waits for postmaster.pid to vanish, which happens just before the process ends
            LOG.warn("postmaster {} of '{}' still runs after pg_ctl stop; killing it", pid.getAsLong(), dataDirectory);
            kill(postmaster.get());
        }
    }

    /**
     * Removes the cluster directories under {@code parent} named {@code prefix*} whose owning JVM
     * is gone (killed before {@link #close()} or its shutdown hook ran), killing a server still
     * running in one. Directories of a live JVM, or without an owner file, are left alone.
     *
     * @return the directories removed
     */
    public static List<Path> removeAbandoned(Path parent, String prefix) {
        if (!Files.isDirectory(parent)) {
            return List.of();
        }
        List<Path> candidates;
        try (Stream<Path> s = Files.list(parent)) {
            candidates = s.filter(p -> p.getFileName().toString().startsWith(prefix) && Files.isDirectory(p)).toList();
        } catch (IOException e) {
            throw new PgwardenException(ErrorCode.PG_PROCESS_FAILED, "unable to list '" + parent + "': " + e.getMessage(), e);
        }
        List<Path> removed = new ArrayList<>();
        for (Path dir : candidates) {
            OptionalLong owner = readPid(dir.resolve(OWNER_FILE));
            if (owner.isEmpty() || ProcessHandle.of(owner.getAsLong()).map(ProcessHandle::isAlive).orElse(false)) {
                continue;
            }
            OptionalLong postmaster = readPid(dir.resolve("data").resolve("postmaster.pid"));
            Optional<ProcessHandle> running = postmaster.isEmpty() ? Optional.empty()
                    : ProcessHandle.of(postmaster.getAsLong()).filter(ProcessHandle::isAlive);
            if (running.isPresent()) {
                LOG.warn("killing PostgreSQL (pid {}) left running in '{}' by process {}, which is gone",
                        postmaster.getAsLong(), dir, owner.getAsLong());
                List<ProcessHandle> children = running.get().children().toList();
                running.get().destroyForcibly();
                children.forEach(ProcessHandle::destroyForcibly);
                if (!exited(running.get(), Duration.ofSeconds(10))) {
                    throw new PgwardenException(ErrorCode.PG_PROCESS_FAILED, "postmaster " + postmaster.getAsLong()
                            + " in '" + dir + "' did not exit after SIGKILL");
                }
            }
            LOG.warn("removing '{}', left behind by process {}, which is gone", dir, owner.getAsLong());
            deleteRecursively(dir);
            removed.add(dir);
        }
        return removed;
    }

    /** The first line of a pid file, if it is a number. */
    private static OptionalLong readPid(Path file) {
        try {
            List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
            return lines.isEmpty() || !lines.get(0).trim().matches("\\d+") ? OptionalLong.empty()
                    : OptionalLong.of(Long.parseLong(lines.get(0).trim()));
        } catch (IOException e) {
            return OptionalLong.empty();
        }
    }

    private static boolean exited(ProcessHandle process, Duration wait) {
        try {
            process.onExit().get(wait.toMillis(), TimeUnit.MILLISECONDS);
            return true;
        } catch (TimeoutException e) {
            return false;
        } catch (ExecutionException e) {
            throw new PgwardenException(ErrorCode.INTERNAL, "unable to wait for process " + process.pid(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new PgwardenException(ErrorCode.CANCELLED, "interrupted while waiting for process " + process.pid(), e);
        }
    }

    private void kill(ProcessHandle process) {
        List<ProcessHandle> children = process.children().toList();
        process.destroyForcibly();
        // backends would exit on their own once they notice the postmaster is gone; do not wait for that
        children.forEach(ProcessHandle::destroyForcibly);
        if (!exited(process, Duration.ofSeconds(10))) {
            throw new PgwardenException(ErrorCode.PG_PROCESS_FAILED,
                    "postmaster " + process.pid() + " of '" + dataDirectory + "' did not exit after SIGKILL");
        }
    }

    /** Whether {@code postmaster.pid} names a live process. */
    public boolean isRunning() {
        OptionalLong pid = readPostmasterPid();
        return pid.isPresent() && ProcessHandle.of(pid.getAsLong()).map(ProcessHandle::isAlive).orElse(false);
    }

    /** The first line of {@code postmaster.pid}, present while the server runs. */
    private OptionalLong readPostmasterPid() {
        try {
            List<String> lines = Files.readAllLines(dataDirectory.resolve("postmaster.pid"), StandardCharsets.UTF_8);
            return lines.isEmpty() || !lines.get(0).trim().matches("\\d+") ? OptionalLong.empty()
                    : OptionalLong.of(Long.parseLong(lines.get(0).trim()));
        } catch (NoSuchFileException e) {
            return OptionalLong.empty();
        } catch (IOException e) {
            throw new PgwardenException(ErrorCode.PG_PROCESS_FAILED,
                    "unable to read '" + dataDirectory.resolve("postmaster.pid") + "': " + e.getMessage(), e);
        }
    }

    /** The last lines of the server log, for messages. */
    public String logTail() {
        return readLogTail();
    }

    private String readLogTail() {
        try {
            List<String> lines = Files.readAllLines(logFile, StandardCharsets.UTF_8);
            return "  " + String.join("\n  ", lines.subList(Math.max(0, lines.size() - 15), lines.size()));
        } catch (IOException e) {
            return "  (no server log: " + e.getMessage() + ")";
        }
    }

    /** Runs {@code pgbench} against this cluster's {@code postgres} database, e.g. {@code "-i", "-s", "1"}. */
    public ProcessRunner.Result pgbench(String... args) {
        List<String> cmd = new ArrayList<>(List.of(binaries.path(Program.PGBENCH).toString(),
                "-h", socketDirectory.toString(), "-p", Integer.toString(port), "-U", SUPERUSER));
        cmd.addAll(List.of(args));
        cmd.add(DATABASE);
        return runner.run(cmd, baseDirectory, CLIENT_TIMEOUT);
    }

    /** Runs SQL through {@code psql}, stopping at the first error. */
    public ProcessRunner.Result psql(String sql) {
        return runner.run(List.of(binaries.path(Program.PSQL).toString(), "-X", "-q", "-v", "ON_ERROR_STOP=1",
                "-h", socketDirectory.toString(), "-p", Integer.toString(port), "-U", SUPERUSER, "-d", DATABASE,
                "-c", sql), baseDirectory, CLIENT_TIMEOUT);
    }

    public int port() {
        return port;
    }

    /** The temporary directory holding everything; also the Unix socket directory unless its path is too long for one. */
    public Path baseDirectory() {
        return baseDirectory;
    }

    public Path socketDirectory() {
        return socketDirectory;
    }

    public Path dataDirectory() {
        return dataDirectory;
    }

    public Path logFile() {
        return logFile;
    }

    public PgBinaries binaries() {
        return binaries;
    }

    /** The postmaster's pid from the last successful start, if any. */
    public OptionalLong postmasterPid() {
        return postmasterPid > 0 ? OptionalLong.of(postmasterPid) : OptionalLong.empty();
    }

    /** {@code jdbc:postgresql://127.0.0.1:<port>/postgres}; trust authentication, no password. */
    public String jdbcUrl() {
        return "jdbc:postgresql://127.0.0.1:" + port + "/" + DATABASE;
    }

    public String superuser() {
        return SUPERUSER;
    }

    /** Connection settings over TCP ({@code viaSocket=false}) or the Unix socket. */
    public PostgresConfig.Connection connection(boolean viaSocket, Duration connectTimeout) {
        return new PostgresConfig.Connection("127.0.0.1", viaSocket ? Optional.of(socketDirectory) : Optional.empty(),
                port, SUPERUSER, DATABASE, Optional.empty(), connectTimeout, Duration.ofMinutes(5), "pgwarden");
    }

    /** A complete {@code postgres} configuration pointing at this cluster. */
    public PostgresConfig postgresConfig(PostgresConfig.Connection connection, PostgresConfig.Pool pool,
            RetryPolicy retry) {
        return new PostgresConfig(dataDirectory, Optional.of(binaries.path(Program.POSTGRES).getParent()),
                connection, pool, retry);
    }

    /** Over TCP with a small pool and three attempts, as the demo uses it. */
    public PostgresConfig postgresConfig() {
        return postgresConfig(connection(false, Duration.ofSeconds(5)),
                new PostgresConfig.Pool(4, 0, Duration.ofSeconds(10), Duration.ofMinutes(10), Duration.ofMinutes(30)),
                new RetryPolicy(3, Duration.ofMillis(200), Duration.ofSeconds(2), 2.0));
    }

    /**
     * Stops the server and deletes the directory. Both are attempted even if one fails; failures
     * are reported together afterwards.
     */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            Runtime.getRuntime().removeShutdownHook(shutdownHook);
        } catch (IllegalStateException e) {
            // the JVM is already shutting down and the hook is what called us; nothing to remove
            LOG.debug("shutdown in progress, hook stays: {}", e.getMessage());
        }
        PgwardenException failure = null;
        try {
            stop();
        } catch (RuntimeException e) {
            failure = PgwardenException.of(e);
        }
        try {
            deleteRecursively(baseDirectory);
            if (!socketDirectory.equals(baseDirectory)) {
                deleteRecursively(socketDirectory);
            }
        } catch (RuntimeException e) {
            if (failure == null) {
                failure = PgwardenException.of(e);
            } else {
                failure.addSuppressed(e);
            }
        }
        if (failure != null) {
            throw failure;
        }
    }

    private void closeAfterFailure(RuntimeException cause) {
        try {
            close();
        } catch (RuntimeException e) {
            cause.addSuppressed(e);
        }
    }

    private void closeFromHook() {
        try {
            close();
        } catch (RuntimeException e) {
            LOG.error("unable to clean up local PostgreSQL cluster in '{}': {}", baseDirectory, e.getMessage(), e);
        }
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("local cluster in '" + baseDirectory + "' is closed");
        }
    }

    private static void deleteRecursively(Path root) {
        IOException last = null;
        // a backend that has not noticed the postmaster's death yet may still write a file
        for (int attempt = 0; attempt < 5; attempt++) {
            if (!Files.exists(root)) {
                return;
            }
            try (Stream<Path> walk = Files.walk(root)) {
                for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
                return;
            } catch (IOException | UncheckedIOException e) {
                last = e instanceof IOException io ? io : ((UncheckedIOException) e).getCause();
                sleepQuietly();
            }
        }
        throw new PgwardenException(ErrorCode.PG_PROCESS_FAILED,
                "unable to delete local cluster directory '" + root + "': " + last.getMessage(), last);
    }

    private static void sleepQuietly() {
        try {
            Thread.sleep(100);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public String toString() {
        return "LocalCluster[" + dataDirectory + ", port " + port + "]";
    }
}
