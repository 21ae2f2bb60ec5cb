package org.pgwarden.app;

import java.util.concurrent.Callable;
import org.pgwarden.common.ExitCode;
import org.pgwarden.config.PgwardenConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "pause", mixinStandardHelpOptions = true,
        description = {"Create the stop file (daemon.stop-file): the daemon starts no new job until 'pgwarden resume';",
            "running jobs finish, WAL archiving goes on. Needs only the configuration file, not the daemon.",
            "Repeating it keeps the pause in force unchanged."})
final class PauseCommand implements Callable<Integer> {
    private final PgwardenCli root;

    @Option(names = "--reason", paramLabel = "TEXT", description = "Why; shown in the log, /health/ready and by resume.")
    String reason;

    PauseCommand(PgwardenCli root) {
        this.root = root;
    }

    @Override
    public Integer call() {
        PgwardenConfig config = root.loadConfig().config();
        StopFile file = new StopFile(config.daemon().stopFile());
        StopFile.Created c = file.create(reason, root.context().clock().instant(), operator());
        var out = root.context().out();
        if (c.created()) {
            out.println("✔ paused " + c.pause().describe() + ": new jobs are skipped until 'pgwarden resume'"
                    + " (stop file '" + file.path() + "'); running jobs finish, WAL archiving goes on");
        } else {
            out.println("! already paused " + c.pause().describe() + " (stop file '" + file.path()
                    + "'); left unchanged");
        }
        return ExitCode.OK;
    }

    /** Who paused, for the next person to ask: the OS user and host, never anything secret. */
    static String operator() {
        String host;
        try {
            host = java.net.InetAddress.getLocalHost().getHostName();
        } catch (java.io.IOException e) {
            host = "unknown-host";
        }
        return System.getProperty("user.name", "unknown") + "@" + host;
    }
}
