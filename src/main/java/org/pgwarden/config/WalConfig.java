package org.pgwarden.config;

import java.nio.file.Path;
import java.time.Duration;

/**
 * WAL archiving through the daemon: where {@code pgwarden wal-push} finds it and how far it pushes
 * ahead of PostgreSQL's archiver.
 *
 * @param socket         the daemon's Unix socket; the default suits a daemon run by systemd with
 *                       {@code RuntimeDirectory=pgwarden} as the {@code postgres} user
 * @param pushAhead      segments compressed, encrypted and uploaded at once ahead of the archiver
 * @param pushAheadLimit segments queued or in flight ahead of the archiver, so a backlog of ready
 *                       segments cannot fill memory or flood the repository
 * @param clientTimeout  how long {@code wal-push} waits for the daemon's answer before failing
 *                       (PostgreSQL retries a failed archive_command)
 * @param pollInterval   how often {@code pg_wal/archive_status} is scanned for {@code .ready} files
 */
public record WalConfig(Path socket, int pushAhead, int pushAheadLimit, Duration clientTimeout,
        Duration pollInterval) {
    public static final Path DEFAULT_SOCKET = Path.of("/run/pgwarden/wal.sock");

    static WalConfig bind(ConfigNode n) {
        Path socket = n.path("socket", DEFAULT_SOCKET, false);
        int pushAhead = n.integer("push-ahead", 2, 1, 32);
        int limit = n.integer("push-ahead-limit", 16, 1, 1024);
        if (limit < pushAhead) {
            n.problem("push-ahead-limit", "must be at least push-ahead (" + pushAhead + "), got " + limit);
        }
        Duration timeout = n.duration("client-timeout", Duration.ofSeconds(60), Duration.ofSeconds(1));
        Duration poll = n.duration("poll-interval", Duration.ofMillis(200), Duration.ofMillis(10));
        if (socket != null && socket.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8).length > 100) {
            // sun_path holds 108 bytes; a longer path fails only when the daemon binds it.
            n.problem("socket", "must be at most 100 bytes long (a Unix socket path limit), got '" + socket + "'");
        }
        n.done();
        return new WalConfig(socket, pushAhead, limit, timeout, poll);
    }

    /** Defaults, for code paths that run without a configuration file. */
    public static WalConfig defaults() {
        return new WalConfig(DEFAULT_SOCKET, 2, 16, Duration.ofSeconds(60), Duration.ofMillis(200));
    }
}
