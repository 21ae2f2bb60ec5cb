package org.pgwarden.app;

import java.io.IOException;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import org.pgwarden.adapter.micrometer.MicrometerMetrics;
import org.pgwarden.adapter.process.LocalCluster;
import org.pgwarden.adapter.systemd.SystemdNotifier;
import org.pgwarden.app.check.CheckResult;
import org.pgwarden.common.ExitCode;
import org.pgwarden.config.ConfigLoader;
import org.pgwarden.config.PgwardenConfig;
import org.pgwarden.crypto.LocalKeyFileWrapper;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The first thing a newcomer runs: a throwaway PostgreSQL cluster, a local repository and a
 * generated key under one work directory, the daemon running against them, {@code check}'s
 * results, and where to look. Ctrl-C (or SIGTERM) stops the daemon and removes everything.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = {"Run the daemon against a throwaway cluster, local repository and generated key.",
            "Everything lives under one work directory and is removed on Ctrl-C."})
final class DemoCommand implements Callable<Integer> {
    private final PgwardenCli root;

    @Option(names = "--work-dir", paramLabel = "DIR",
            description = "Parent directory for the demo's files (default: the system temp directory).")
    Path parent;

    @Option(names = "--listen", paramLabel = "HOST:PORT", defaultValue = "127.0.0.1:0",
            description = "Address of /metrics and /health (default: ${DEFAULT-VALUE}, port 0 = any free port).")
    String listen;

    @Option(names = "--keep", description = "Keep the work directory after stopping (the cluster is stopped).")
    boolean keep;

    DemoCommand(PgwardenCli root) {
        this.root = root;
    }

    @Override
    public Integer call() throws Exception {
        PrintWriter out = root.context().out();
        SignalWaiter signals = new SignalWaiter().install();
        Path work = parent == null ? Files.createTempDirectory("pgwarden-demo-")
                : Files.createTempDirectory(Files.createDirectories(parent), "pgwarden-demo-");
        Daemon daemon = null;
        LocalCluster cluster = null;
        try {
            // The cluster runs as the postgres OS user when we are root: it must reach its directory.
            Files.setPosixFilePermissions(work, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
            out.println("pgwarden demo: work directory " + work);
            out.flush();
            cluster = LocalCluster.start(LocalCluster.options().parentDirectory(work).dataChecksums(true)
                    .setting("archive_mode", "on"));
            out.println("✔ throwaway PostgreSQL " + cluster.binaries().path(
                    org.pgwarden.adapter.process.PgBinaries.Program.POSTGRES).getParent() + " on port " + cluster.port()
                    + ", data " + cluster.dataDirectory());
            Path repository = Files.createDirectories(work.resolve("repository"));
            Path key = work.resolve("repository.key");
            LocalKeyFileWrapper.generateKeyFile(key);
            out.println("✔ local repository " + repository + ", generated key " + key);

            Path configFile = work.resolve("pgwarden.yaml");
            Files.writeString(configFile, configYaml(cluster, repository, key), StandardCharsets.UTF_8);
            ConfigLoader.Loaded loaded = root.loader().load(configFile);
            PgwardenConfig config = loaded.config();
            LoggingSetup.apply(config.logging());
            out.println("✔ configuration " + configFile);
            out.flush();

            MicrometerMetrics metrics = new MicrometerMetrics(config.stanza(), config.metrics().jvm());
            daemon = new Daemon(config, Components.open(config, root.context().environment(), metrics), metrics,
                    root.context().clock(), new SystemdNotifier(java.util.Map.of()));
            daemon.start();

            out.println();
            out.println("check:");
            List<CheckResult> results = daemon.readiness().last();
            if (results.isEmpty()) {
                results = new org.pgwarden.app.check.DependencyChecks(config.postgres().dataDirectory(),
                        config.stanza(), daemon.components().postgres(), daemon.components().repository(),
                        daemon.components().key(), root.context().clock()).run();
            }
            CheckCommand.print(results, out);
            InetSocketAddress http = daemon.httpAddress();
            String base = "http://" + http.getHostString() + ":" + http.getPort();
            out.println();
            out.println("daemon running. Try:");
            out.println("  curl " + base + "/metrics");
            out.println("  curl " + base + "/health/ready");
            out.println("  bin/pgwarden --config " + configFile + " check");
            out.println("  bin/pgwarden --config " + configFile + " config show");
            out.println("Press Ctrl-C to stop and remove the demo.");
            out.flush();

            String signal = signals.await();
            out.println("stopping (" + signal + ")");
            out.flush();
            return ExitCode.OK;
        } finally {
            if (daemon != null) {
                daemon.stop("demo ending");
            }
            if (cluster != null) {
                cluster.close();
            }
            if (!keep) {
                deleteTree(work);
            }
            out.println(keep ? "demo stopped; files kept in " + work : "demo stopped and removed");
            out.flush();
        }
    }

    private String configYaml(LocalCluster cluster, Path repository, Path key) {
        return """
                # Written by `pgwarden demo`; a complete configuration for the throwaway cluster.
                stanza: demo
                postgres:
                  data-directory: %s
                  bin-directory: %s
                  connection:
                    host: 127.0.0.1
                    port: %d
                    user: postgres
                    database: postgres
                    connect-timeout: 5s
                  retry:
                    max-attempts: 3
                    initial-delay: 200ms
                    max-delay: 2s
                repository:
                  type: filesystem
                  filesystem:
                    path: %s
                encryption:
                  provider: local
                  local:
                    key-file: %s
                schedules:
                  health-check: "0/15 * * * * ?"
                admin:
                  listen: %s
                daemon:
                  shutdown-grace: 10s
                  stop-file: %s
                wal:
                  socket: %s
                """.formatted(cluster.dataDirectory(),
                cluster.binaries().path(org.pgwarden.adapter.process.PgBinaries.Program.POSTGRES).getParent(),
                cluster.port(), repository, key, listen, repository.resolveSibling("pgwarden.stop"),
                repository.resolveSibling("wal.sock"));
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
