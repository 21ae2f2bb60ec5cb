package org.pgwarden.app;

import java.util.concurrent.Callable;
import org.pgwarden.common.ErrorCode;
import org.pgwarden.common.ExitCode;
import org.pgwarden.common.PgwardenException;
import org.pgwarden.config.PgwardenConfig;
import org.pgwarden.metrics.Metrics;
import org.pgwarden.pg.PgServerInfo;
import org.pgwarden.repo.StanzaInfo;
import org.pgwarden.repo.StanzaStore;
import picocli.CommandLine.Command;

@Command(name = "stanza-create", mixinStandardHelpOptions = true,
        description = {"Record the cluster's system identifier, PostgreSQL version and WAL settings in the repository.",
            "Refuses a repository that already belongs to another cluster; running it again is harmless."})
final class StanzaCreateCommand implements Callable<Integer> {
    private final PgwardenCli root;

    StanzaCreateCommand(PgwardenCli root) {
        this.root = root;
    }

    @Override
    public Integer call() {
        PgwardenConfig config = root.loadConfig().config();
        LoggingSetup.apply(config.logging());
        try (Components components = Components.open(config, root.context().environment(), Metrics.noop())) {
            PgServerInfo server = components.postgres().serverInfo();
            if (server.inRecovery()) {
                throw new PgwardenException(ErrorCode.PG_MISCONFIGURED, "the server at "
                        + components.postgres().describeEndpoint() + " is a standby", "run stanza-create against the primary",
                        null);
            }
            RepositoryAccess repo = RepositoryAccess.open(config, components, root.context().clock());
            StanzaInfo info = new StanzaStore(repo.store(), repo.objects()).create(StanzaInfo.of(config.stanza(),
                    server.systemIdentifier(), server.version().major(), components.postgres().walSegmentSize(),
                    components.postgres().blockSize(), root.context().clock().instant()));
            root.context().out().println("✔ stanza '" + info.stanza() + "' in " + repo.store().describe()
                    + ": system identifier " + Long.toUnsignedString(info.systemIdentifier()) + ", PostgreSQL "
                    + info.pgMajor() + ", WAL segments of " + info.walSegmentSize() / (1024 * 1024) + " MiB");
            return ExitCode.OK;
        }
    }
}
