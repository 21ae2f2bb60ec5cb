package org.pgwarden.app;

import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.Callable;
import org.pgwarden.common.ExitCode;
import org.pgwarden.config.PgwardenConfig;
import org.pgwarden.metrics.Metrics;
import org.pgwarden.repo.StanzaStore;
import org.pgwarden.repo.WalArchiveIndex;
import org.pgwarden.wal.WalPush;
import org.pgwarden.walclient.DaemonConnection;
import org.pgwarden.walclient.WalProtocol;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "wal-push", mixinStandardHelpOptions = true,
        description = {"Archive one WAL file into the repository: archive_command = 'pgwarden wal-push %%p'.",
            "Exits 0 only once the file is durably stored (or was already, with the same content)."})
final class WalPushCommand implements Callable<Integer> {
    private final PgwardenCli root;

    @Parameters(index = "0", paramLabel = "PATH", description = "The WAL file (%%p in archive_command).")
    Path file;

    @Option(names = "--direct", description = {"Push the file from this process without asking the daemon",
        "(what wal-push does by itself when no daemon listens on wal.socket)."})
    boolean direct;

    WalPushCommand(PgwardenCli root) {
        this.root = root;
    }

    @Override
    public Integer call() {
        PgwardenConfig config = root.loadConfig().config();
        if (!direct) {
            Optional<Integer> answered = askDaemon(config);
            if (answered.isPresent()) {
                return answered.get();
            }
        }
        LoggingSetup.apply(config.logging());
        try (Components components = Components.open(config, root.context().environment(), Metrics.noop())) {
            RepositoryAccess repo = RepositoryAccess.open(config, components, root.context().clock());
            WalPush.Result r = new WalPush(repo.objects(), new WalArchiveIndex(repo.store()),
                    new StanzaStore(repo.store(), repo.objects()).load(), Metrics.noop()).push(file);
            org.slf4j.LoggerFactory.getLogger(WalPushCommand.class).info("wal-push {} {}", r.name(),
                    r.alreadyArchived() ? "was already archived with the same content" : "archived");
            return ExitCode.OK;
        }
    }

    /** The daemon's answer as an exit code, or empty when no daemon listens (then push directly). */
    private Optional<Integer> askDaemon(PgwardenConfig config) {
        try {
            WalProtocol.Answer answer = DaemonConnection.push(config.wal().socket(),
                    file.toAbsolutePath().normalize().toString(), config.wal().clientTimeout());
            if (!answer.ok()) {
                root.context().err().println("error: " + answer.text());
            }
            return Optional.of(answer.exitCode());
        } catch (DaemonConnection.NotRunning e) {
            return Optional.empty();
        }
    }
}
