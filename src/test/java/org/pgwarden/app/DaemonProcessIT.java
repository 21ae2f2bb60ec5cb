package org.pgwarden.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.DatagramPacket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.newsclub.net.unix.AFUNIXDatagramSocket;
import org.newsclub.net.unix.AFUNIXSocketAddress;
import org.pgwarden.testing.DaemonSetup;
import org.pgwarden.testing.Distribution;
import org.pgwarden.testing.Http;
import org.pgwarden.testing.PostgresFixture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The daemon as systemd runs it: the built launcher, NOTIFY_SOCKET, SIGTERM. */
class DaemonProcessIT {
    private static PostgresFixture pg;

    @TempDir
    Path dir;

    @BeforeAll
    static void startCluster() {
        pg = PostgresFixture.start(Map.of("archive_mode", "on"));
    }

    @AfterAll
    static void stopCluster() {
        pg.close();
    }

    @Test
    void reportsReadinessToSystemdAndExits0OnSigterm() throws Exception {
        Path config = DaemonSetup.createConfig(dir, pg.cluster(),
                "admin:\n  listen: 127.0.0.1:0\ndaemon:\n  shutdown-grace: 5s\nlogging:\n  format: json\n");
        Path notifyPath = dir.resolve("notify.sock");
        try (AFUNIXDatagramSocket notify = AFUNIXDatagramSocket.newInstance()) {
            notify.bind(AFUNIXSocketAddress.of(notifyPath));
            notify.setSoTimeout(60_000);
            try (Distribution daemon = Distribution.start(Map.of("NOTIFY_SOCKET", notifyPath.toString()),
                    List.of("--config", config.toString(), "daemon"))) {
                byte[] buf = new byte[4096];
                DatagramPacket packet = new DatagramPacket(buf, buf.length);
                notify.receive(packet);
                String message = new String(buf, 0, packet.getLength(), StandardCharsets.UTF_8);
                assertThat(message).contains("READY=1").contains("MAINPID=" + daemon.pid());

                String line = daemon.awaitLine(l -> l.startsWith("pgwarden daemon running; metrics at "),
                        Duration.ofSeconds(30));
                String metricsUrl = line.substring(line.indexOf("http://"));
                assertThat(Http.get(metricsUrl).body()).contains("pgwarden_build_info{");
                assertThat(Http.get(metricsUrl.replace("/metrics", "/health/ready")).status()).isEqualTo(200);

                long t0 = System.nanoTime();
                assertThat(daemon.terminate(Duration.ofSeconds(20))).as(daemon.transcript()).isZero();
                assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(5));
                notify.receive(packet);
                assertThat(new String(buf, 0, packet.getLength(), StandardCharsets.UTF_8)).contains("STOPPING=1");
                assertThat(daemon.transcript()).contains("\"formattedMessage\":\"daemon stopped\"")
                        .contains("SIGTERM received");
            }
        }
    }

    @Test
    void invalidConfigExits2AndStartsNothing() throws Exception {
        Path config = DaemonSetup.createConfig(dir, pg.cluster(), "admin:\n  listen: 127.0.0.1:0\n  lisen: x\n");
        try (Distribution daemon = Distribution.start(Map.of(), List.of("--config", config.toString(), "daemon"))) {
            assertThat(daemon.waitFor(Duration.ofSeconds(30))).isEqualTo(2);
            assertThat(daemon.transcript()).contains("admin.lisen: unknown key (did you mean 'listen'?)")
                    .doesNotContain("daemon running");
        }
    }
}
