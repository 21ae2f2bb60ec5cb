package org.pgwarden.testing;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import org.pgwarden.adapter.process.PgBinaries;
import org.pgwarden.adapter.process.ProcessRunner;

/**
 * A restored data directory started as a throwaway server on a free port, with archiving off so
 * the copy never writes into the repository it came from. Stopped and deleted on close.
 */
public final class RestoredCluster implements AutoCloseable {
    private final Path pgdata;
    private final Path socketDir;
    private final PgBinaries binaries;
    private final int port;
    private final ProcessRunner runner = ProcessRunner.forCurrentUser();

    private RestoredCluster(Path pgdata, Path socketDir, PgBinaries binaries, int port) {
        this.pgdata = pgdata;
        this.socketDir = socketDir;
        this.binaries = binaries;
        this.port = port;
    }

    /** Starts PostgreSQL on {@code pgdata} and waits until recovery has finished and it was promoted. */
    public static RestoredCluster start(Path pgdata, PgBinaries binaries) throws IOException {
        return start(pgdata, binaries, false);
    }

    /**
     * As {@link #start(Path, PgBinaries)}, but keeping the restored {@code archive_command}: the copy
     * archives into the repository it came from, as a cluster restored for real does (a new timeline).
     */
    public static RestoredCluster startArchiving(Path pgdata, PgBinaries binaries) throws IOException {
        return start(pgdata, binaries, true);
    }

    private static RestoredCluster start(Path pgdata, PgBinaries binaries, boolean archiving) throws IOException {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        Path socketDir = Files.createTempDirectory("pgw-sock-");
        BackupSetup.givePostgres(socketDir);
        RestoredCluster c = new RestoredCluster(pgdata, socketDir, binaries, port);
        ProcessRunner.Result r = c.runner.runAllowingFailure(List.of(
                binaries.path(PgBinaries.Program.PG_CTL).toString(), "-D", pgdata.toString(), "-w", "-t", "180",
                "-l", socketDir.resolve("postgres.log").toString(),
                "-o", "-c port=" + port + " -c unix_socket_directories=" + socketDir
                        + (archiving ? "" : " -c archive_mode=off") + " -c listen_addresses=127.0.0.1", "start"),
                pgdata.getParent(), Duration.ofMinutes(4));
        if (r.exitCode() != 0) {
            String log;
            try {
                log = Files.readString(socketDir.resolve("postgres.log"));
            } catch (IOException e) {
                log = "(no log)";
            }
            throw new AssertionError("restored cluster did not start: " + r.lastLines() + "\n" + log);
        }
        c.awaitPromoted(Duration.ofMinutes(3));
        return c;
    }

    /** Hot standby accepts reads during recovery: wait until recovery is over. */
    private void awaitPromoted(Duration timeout) throws IOException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            try {
                if ("f".equals(queryString("SELECT pg_is_in_recovery()"))) {
                    return;
                }
            } catch (SQLException e) {
                // still starting up
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("restored cluster still in recovery after " + timeout.toSeconds() + "s:\n"
                        + Files.readString(logFile()));
            }
            try {
                Thread.sleep(200);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted", e);
            }
        }
    }

    /** The server log; written where the postgres OS user may write. */
    public Path logFile() {
        return socketDir.resolve("postgres.log");
    }

    public Connection connect() throws SQLException {
        return DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + port + "/postgres", "postgres", "");
    }

    /** Runs each statement in autocommit mode, in order. */
    public void sql(String... statements) throws SQLException {
        try (Connection c = connect(); Statement st = c.createStatement()) {
            for (String s : statements) {
                st.execute(s);
            }
        }
    }

    public String queryString(String sql) throws SQLException {
        try (Connection c = connect(); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getString(1);
        }
    }

    /** Stops the server cleanly ({@code -m fast}): a shutdown checkpoint, so the directory is consistent on its own. */
    public void stopCleanly() {
        ProcessRunner.Result r = runner.runAllowingFailure(List.of(binaries.path(PgBinaries.Program.PG_CTL).toString(),
                "-D", pgdata.toString(), "-m", "fast", "-w", "stop"), pgdata.getParent(), Duration.ofMinutes(1));
        if (r.exitCode() != 0) {
            throw new AssertionError("restored cluster did not stop: " + r.lastLines());
        }
    }

    @Override
    public void close() {
        runner.runAllowingFailure(List.of(binaries.path(PgBinaries.Program.PG_CTL).toString(), "-D", pgdata.toString(),
                "-m", "immediate", "-w", "stop"), pgdata.getParent(), Duration.ofMinutes(1));
        try (var s = Files.walk(socketDir)) {
            for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            // the socket directory is a temp directory; leaving it is harmless
        }
    }
}
