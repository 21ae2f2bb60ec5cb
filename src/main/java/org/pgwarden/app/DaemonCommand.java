package org.pgwarden.app;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.pgwarden.adapter.micrometer.MicrometerMetrics;
import org.pgwarden.adapter.systemd.SystemdNotifier;
import org.pgwarden.common.ExitCode;
import org.pgwarden.config.ConfigLoader;
import org.pgwarden.config.PgwardenConfig;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;

@Command(name = "daemon", mixinStandardHelpOptions = true,
        description = {"Run the daemon: scheduler, /metrics and /health on admin.listen.",
            "SIGTERM or SIGINT stops it cleanly within daemon.shutdown-grace (exit 0)."})
final class DaemonCommand implements Callable<Integer> {
    private final PgwardenCli root;

    DaemonCommand(PgwardenCli root) {
        this.root = root;
    }

    @Override
    public Integer call() throws InterruptedException {
        ConfigLoader.Loaded loaded = root.loadConfig();
        PgwardenConfig config = loaded.config();
        LoggingSetup.apply(config.logging());
        SignalWaiter signals = new SignalWaiter().install();
        MicrometerMetrics metrics = new MicrometerMetrics(config.stanza(), config.metrics().jvm());
        Components components = Components.open(config, root.context().environment(), metrics);
        Daemon daemon = new Daemon(config, components, metrics, root.context().clock(),
                new SystemdNotifier(root.context().environment()), root.context().environment());
        daemon.jobs().configFile(Path.of(loaded.source()));
        try {
            daemon.start();
            root.context().out().println("pgwarden daemon running; metrics at http://"
                    + daemon.httpAddress().getHostString() + ":" + daemon.httpAddress().getPort() + "/metrics");
            root.context().out().flush();
            String signal = signals.await();
            daemon.stop(signal + " received");
        } finally {
            daemon.stop("exiting");
        }
        LoggerFactory.getLogger(DaemonCommand.class).debug("daemon command done");
        return ExitCode.OK;
    }
}
