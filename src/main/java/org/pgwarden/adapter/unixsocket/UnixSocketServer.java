package org.pgwarden.adapter.unixsocket;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import org.pgwarden.common.ErrorCode;
import org.pgwarden.common.PgwardenException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A line-per-connection server on a Unix domain socket: each connection sends one request line and
 * gets one answer line. The socket file is mode 0600, so only the daemon's own user (the one
 * PostgreSQL runs as) may connect. A socket file left by a daemon that is gone is replaced; one that
 * a live daemon answers on is not.
 */
public final class UnixSocketServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(UnixSocketServer.class);

    private final Path path;
    private final ServerSocketChannel server;
    private final ExecutorService handlers;
    private final Thread acceptor;
    private final UnaryOperator<String> handler;
    private final int maxLine;

    private UnixSocketServer(Path path, ServerSocketChannel server, int threads, int maxLine,
            UnaryOperator<String> handler) {
        this.path = path;
        this.server = server;
        this.handler = handler;
        this.maxLine = maxLine;
        this.handlers = Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, "wal-socket-request");
            t.setDaemon(true);
            return t;
        });
        this.acceptor = new Thread(this::acceptLoop, "wal-socket-accept");
        this.acceptor.setDaemon(true);
    }

    /**
     * Binds {@code path} and starts answering.
     *
     * @param threads requests answered at once (each may wait for an upload)
     * @param handler request line to answer line; must not throw
     */
    public static UnixSocketServer start(Path path, int threads, int maxLine, UnaryOperator<String> handler) {
        try {
            if (path.getParent() != null) {
                Files.createDirectories(path.getParent());
            }
            replaceStale(path);
            ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
            // Bind under a private name, restrict it, then move it into place: no moment exists in
            // which another user could connect to a socket that is still world-accessible.
            Path staging = path.resolveSibling("." + path.getFileName() + "." + ProcessHandle.current().pid());
            Files.deleteIfExists(staging);
            server.bind(UnixDomainSocketAddress.of(staging));
            Files.setPosixFilePermissions(staging, PosixFilePermissions.fromString("rw-------"));
            Files.move(staging, path, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                    java.nio.file.StandardCopyOption.ATOMIC_MOVE);
            UnixSocketServer s = new UnixSocketServer(path, server, threads, maxLine, handler);
            s.acceptor.start();
            return s;
        } catch (IOException e) {
            throw new PgwardenException(ErrorCode.CONFIG_INVALID, "unable to listen on the Unix socket '" + path + "': "
                    + e.getMessage(), "wal.socket must name a path in a directory the daemon's user may write"
                    + " (systemd: RuntimeDirectory=pgwarden)", e);
        }
    }

    private static void replaceStale(Path path) throws IOException {
        if (!Files.exists(path, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (SocketChannel probe = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            probe.connect(UnixDomainSocketAddress.of(path));
        } catch (IOException refused) {
            log.info("replacing the stale socket file '{}' (no process listens on it)", path);
            Files.delete(path);
            return;
        }
        throw new PgwardenException(ErrorCode.CONFIG_INVALID, "another process listens on the Unix socket '" + path + "'",
                "is another pgwarden daemon running for this cluster? stop it, or give each daemon its own"
                        + " wal.socket", null);
    }

    public Path path() {
        return path;
    }

    private void acceptLoop() {
        while (server.isOpen()) {
            SocketChannel c;
            try {
                c = server.accept();
            } catch (ClosedChannelException e) {
                return;
            } catch (IOException e) {
                log.warn("unable to accept on '{}': {}", path, e.toString());
                continue;
            }
            try {
                handlers.execute(() -> answer(c));
            } catch (RejectedExecutionException e) {
                closeQuietly(c);
                return;
            }
        }
    }

    private void answer(SocketChannel c) {
        try (c) {
            String request = readLine(Channels.newInputStream(c));
            if (request == null) {
                return;
            }
            ByteBuffer out = ByteBuffer.wrap((handler.apply(request) + "\n").getBytes(StandardCharsets.UTF_8));
            while (out.hasRemaining()) {
                c.write(out);
            }
        } catch (IOException e) {
            // The client gave up (its timeout) or died; PostgreSQL will ask again.
            log.debug("connection on '{}' ended early: {}", path, e.toString());
        }
    }

    private String readLine(InputStream in) throws IOException {
        ByteArrayOutputStream buf = new ByteArrayOutputStream(128);
        int b;
        while ((b = in.read()) >= 0) {
            if (b == '\n') {
                return buf.toString(StandardCharsets.UTF_8);
            }
            if (buf.size() >= maxLine) {
                throw new IOException("request longer than " + maxLine + " bytes");
            }
            buf.write(b);
        }
        return null;
    }

    /** Stops accepting, removes the socket file, and gives answers under way {@code grace} to finish. */
    public void stop(Duration grace) {
        closeQuietly(server);
        try {
            Files.deleteIfExists(path);
        } catch (IOException e) {
            log.warn("unable to remove the socket file '{}': {}", path, e.toString());
        }
        handlers.shutdown();
        try {
            if (!handlers.awaitTermination(grace.toMillis(), TimeUnit.MILLISECONDS)) {
                handlers.shutdownNow();
            }
        } catch (InterruptedException e) {
            handlers.shutdownNow();
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        stop(Duration.ofSeconds(5));
    }

    private static void closeQuietly(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception e) {
            // closing on the way out; nothing left to tell the peer
        }
    }
}
