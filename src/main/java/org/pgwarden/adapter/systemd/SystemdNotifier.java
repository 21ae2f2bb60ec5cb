package org.pgwarden.adapter.systemd;

import java.io.IOException;
import java.net.DatagramPacket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import org.newsclub.net.unix.AFUNIXDatagramSocket;
import org.newsclub.net.unix.AFUNIXSocketAddress;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tells systemd about the daemon's state ({@code READY=1}, {@code STOPPING=1}, {@code STATUS=})
 * through the datagram socket named by {@code NOTIFY_SOCKET}. The JDK has no AF_UNIX datagram
 * sockets, so junixsocket sends them; a leading {@code @} names an abstract socket. Without
 * {@code NOTIFY_SOCKET} (not under systemd) every call does nothing. Failures are logged, never
 * thrown: the daemon works without systemd's knowledge, only readiness reporting degrades.
 */
public final class SystemdNotifier {
    private static final Logger log = LoggerFactory.getLogger(SystemdNotifier.class);
    private final String socket;

    public SystemdNotifier(Map<String, String> environment) {
        String s = environment.get("NOTIFY_SOCKET");
        this.socket = s == null || s.isBlank() ? null : s;
    }

    public boolean enabled() {
        return socket != null;
    }

    public void ready(String status) {
        send("READY=1\nSTATUS=" + status + "\nMAINPID=" + ProcessHandle.current().pid());
    }

    public void stopping(String status) {
        send("STOPPING=1\nSTATUS=" + status);
    }

    public void status(String status) {
        send("STATUS=" + status);
    }

    private void send(String message) {
        if (socket == null) {
            return;
        }
        try (AFUNIXDatagramSocket s = AFUNIXDatagramSocket.newInstance()) {
            AFUNIXSocketAddress address = socket.startsWith("@")
                    ? AFUNIXSocketAddress.inAbstractNamespace(socket.substring(1))
                    : AFUNIXSocketAddress.of(Path.of(socket));
            s.connect(address);
            byte[] bytes = message.getBytes(StandardCharsets.UTF_8);
            s.send(new DatagramPacket(bytes, bytes.length));
        } catch (IOException | RuntimeException e) {
            log.warn("unable to notify systemd at '{}': {}", socket, e.toString());
        }
    }
}
