package org.pgwarden.walclient;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * Asks the daemon over its Unix socket to archive one WAL file and waits for the answer. Reports
 * separately that the daemon is not there (no socket, nobody listening), so the caller can push
 * directly, from every other failure, which must fail the archive_command.
 */
public final class DaemonConnection {
    private DaemonConnection() {
    }

    /** Thrown when no daemon listens on the socket; pushing directly is then the right move. */
    public static final class NotRunning extends Exception {
        public NotRunning(String message) {
            super(message);
        }
    }

    /**
     * Sends the request for {@code absolutePath} and returns the daemon's answer; a timeout or a
     * broken connection is an error answer (the segment may or may not be stored yet, so
     * PostgreSQL must retry).
     */
    public static WalProtocol.Answer push(Path socket, String absolutePath, Duration timeout) throws NotRunning {
        if (!Files.exists(socket)) {
            throw new NotRunning("no daemon socket at '" + socket + "'");
        }
        SocketChannel channel;
        try {
            channel = SocketChannel.open(StandardProtocolFamily.UNIX);
        } catch (IOException e) {
            return new WalProtocol.Answer(3, "unable to open a Unix socket: " + e.getMessage());
        }
        try (channel) {
            try {
                channel.connect(UnixDomainSocketAddress.of(socket));
            } catch (IOException e) {
                // ECONNREFUSED: a stale socket file left by a daemon that is gone.
                throw new NotRunning("no daemon listens on '" + socket + "': " + e.getMessage());
            }
            byte[] request = WalProtocol.request(absolutePath).concat("\n").getBytes(StandardCharsets.UTF_8);
            ByteBuffer out = ByteBuffer.wrap(request);
            while (out.hasRemaining()) {
                channel.write(out);
            }
            return awaitAnswer(channel, socket, timeout);
        } catch (IOException e) {
            return new WalProtocol.Answer(3, "lost the connection to the daemon at '" + socket + "': " + e.getMessage());
        }
    }

    /**
     * Reads the answer line on a helper thread so the wait is bounded: blocking socket channels
     * have no read timeout, and closing the channel is what wakes a blocked read.
     */
    private static WalProtocol.Answer awaitAnswer(SocketChannel channel, Path socket, Duration timeout)
            throws IOException {
        AnswerReader reader = new AnswerReader(channel);
        reader.start();
        try {
            reader.join(timeout.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (reader.isAlive()) {
            channel.close();
            return new WalProtocol.Answer(3, "no answer from the daemon at '" + socket + "' within "
                    + timeout.toMillis() + "ms (wal.client-timeout); PostgreSQL will retry");
        }
        if (reader.failure != null) {
            throw reader.failure;
        }
        return WalProtocol.parseAnswer(reader.line);
    }

    /** A named class rather than a lambda: lambdas cost start-up time on their first use. */
    private static final class AnswerReader extends Thread {
        private final SocketChannel channel;
        private volatile String line;
        private volatile IOException failure;

        AnswerReader(SocketChannel channel) {
            super("wal-push-answer");
            this.channel = channel;
            setDaemon(true);
        }

        @Override
        public void run() {
            try {
                line = readLine(channel);
            } catch (IOException e) {
                failure = e;
            }
        }
    }

    private static String readLine(SocketChannel channel) throws IOException {
        java.io.InputStream in = Channels.newInputStream(channel);
        java.io.ByteArrayOutputStream buf = new java.io.ByteArrayOutputStream(64);
        int b;
        while ((b = in.read()) >= 0) {
            if (b == '\n') {
                return buf.toString(StandardCharsets.UTF_8);
            }
            if (buf.size() >= WalProtocol.MAX_LINE) {
                throw new IOException("answer longer than " + WalProtocol.MAX_LINE + " bytes");
            }
            buf.write(b);
        }
        return null;
    }
}
