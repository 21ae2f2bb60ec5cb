package org.pgwarden.config;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;

/**
 * The daemon's HTTP listener: {@code /metrics}, {@code /health/live}, {@code /health/ready}.
 * Bound to loopback unless {@code allow-remote} says otherwise, because it is unauthenticated for
 * reads.
 */
public record AdminConfig(InetSocketAddress listen, boolean allowRemote) {

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
        n.done();
        return new AdminConfig(listen, allowRemote);
    }
}
