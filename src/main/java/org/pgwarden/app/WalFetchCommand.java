package org.pgwarden.app;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.function.IntSupplier;
import org.pgwarden.common.ExitCode;
import org.pgwarden.config.PgwardenConfig;
import org.pgwarden.metrics.Metrics;
import org.pgwarden.repo.StanzaStore;
import org.pgwarden.repo.WalArchiveIndex;
import org.pgwarden.wal.WalFetch;
import org.pgwarden.wal.WalSpool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

@Command(name = "wal-fetch", mixinStandardHelpOptions = true,
        description = {"Restore one WAL file from the repository: restore_command = 'pgwarden wal-fetch %f %p'.",
            "Exits 0 once the file is verified and in place, 1 when it is not in the archive (how recovery learns"
                    + " where the archive ends), and the code of the failure otherwise (3 unreachable, 4 integrity).",
            "Prefetches the next restore.wal-prefetch segments into restore.spool-directory."})
final class WalFetchCommand implements Callable<Integer> {
    private static final Logger LOG = LoggerFactory.getLogger(WalFetchCommand.class);

    private final PgwardenCli root;

    @Parameters(index = "0", paramLabel = "NAME", description = "The WAL file name (%f in restore_command).")
    String name;

    @Parameters(index = "1", paramLabel = "DESTINATION", description = "Where to place it (%p in restore_command).")
    Path destination;

    WalFetchCommand(PgwardenCli root) {
        this.root = root;
    }

    @Override
    public Integer call() {
        PgwardenConfig config = root.loadConfig().config();
        LoggingSetup.apply(config.logging());
        try (Components components = Components.open(config, root.context().environment(), Metrics.noop())) {
            RepositoryAccess repo = RepositoryAccess.open(config, components, root.context().clock());
            int window = config.restore().prefetch();
            WalSpool spool = WalSpool.forStanza(config.restore().spoolDirectory(), config.stanza(),
                    repo.store().describe(), 2 * window);
            IntSupplier segmentSize = () -> new StanzaStore(repo.store(), repo.objects()).load().walSegmentSize();
            WalFetch.Result r = new WalFetch(repo.objects(), new WalArchiveIndex(repo.store()), spool, window,
                    segmentSize, Metrics.noop()).fetch(name, destination.toAbsolutePath());
            return switch (r.outcome()) {
                case MISSING -> {
                    LOG.info("wal-fetch {} is not in the archive", name);
                    yield ExitCode.FAILED;
                }
                case SPOOL_HIT, SERVED -> {
                    LOG.info("wal-fetch {} restored{}{}", name, r.outcome() == WalFetch.Outcome.SPOOL_HIT
                            ? " from the prefetch spool" : " from the repository",
                            r.prefetched() > 0 ? "; prefetched " + r.prefetched() + " more" : "");
                    yield ExitCode.OK;
                }
            };
        }
    }
}
