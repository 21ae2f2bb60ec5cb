package org.pgwarden.config;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/**
 * The daemon's HTTP listener: {@code /metrics}, {@code /health/live}, {@code /health/ready}, and
 * the admin API under {@code /api/v1} when a token file is configured. Bound to loopback unless
 * {@code allow-remote} says otherwise, because the metrics and health endpoints are
 * unauthenticated for reads.
 *
 * @param tokenFile       the bearer token the admin API requires; without it the API is off (404).
 *                        Checked at daemon start: mode 0600 or stricter, owned by the daemon's user
 * @param triggerLockWait how long a triggered job waits for a run holding its lock (another
 *                        backup) before it is recorded as skipped; triggers of one backup serialize
 */
public record AdminConfig(InetSocketAddress listen, boolean allowRemote, Optional<Path> tokenFile,
        Duration triggerLockWait) {

    static AdminConfig bind(ConfigNode n) {
        InetSocketAddress listen = n.address("listen", "127.0.0.1:9816");
        boolean allowRemote = n.bool("allow-remote", false);
        if (!allowRemote) {
            try {
                InetAddress a = InetAddress.getByName(listen.getHostString());
                if (!a.isLoopbackAddress()) {
                    n.problem("listen", "'" + listen.getHostString() + "' is not a loopback address; use 127.0.0.1"
                            + " or ::1, or set admin.allow-remote: true and protect the port");
                }
            } catch (UnknownHostException e) {
                n.problem("listen", "unknown host '" + listen.getHostString() + "'");
            }
        }
        Optional<Path> tokenFile = Optional.ofNullable(n.path("token-file", null, false));
        Duration lockWait = n.duration("trigger-lock-wait", Duration.ofHours(6), Duration.ZERO);
        n.done();
        return new AdminConfig(listen, allowRemote, tokenFile, lockWait);
    }
}
