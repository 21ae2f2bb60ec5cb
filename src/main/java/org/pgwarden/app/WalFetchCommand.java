package org.pgwarden.app;

import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.concurrent.Callable;
import org.pgwarden.common.ExitCode;
import org.pgwarden.common.PgwardenException;
import org.pgwarden.config.PgwardenConfig;
import org.pgwarden.crypto.KeyWrapper;
import org.pgwarden.metrics.Metrics;
import org.pgwarden.repo.StanzaStore;
import org.pgwarden.repo.WalArchiveIndex;
import org.pgwarden.storage.ObjectStore;
import org.pgwarden.wal.WalFetch;
import org.pgwarden.wal.WalSpool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

@Command(name = "wal-fetch", mixinStandardHelpOptions = true,
        description = {"Restore one WAL file from the repository: restore_command = 'pgwarden wal-fetch %%f %%p'.",
            "Exits 0 once the file is verified and in place, 1 when it is not in the archive (how recovery learns"
                    + " where the archive ends), and 126 when fetching fails (unreachable repository, integrity"
                    + " error), so that PostgreSQL stops recovery instead of ending it early with data missing.",
            "Prefetches the next restore.wal-prefetch segments into restore.spool-directory."})
final class WalFetchCommand implements Callable<Integer> {
    private static final Logger LOG = LoggerFactory.getLogger(WalFetchCommand.class);
    /** An exit code PostgreSQL treats like a failed shell: recovery stops with FATAL instead of ending early. */
    static final int STOP_RECOVERY = 126;

    private final PgwardenCli root;

    @Parameters(index = "0", paramLabel = "NAME", description = "The WAL file name (%%f in restore_command).")
    String name;

    @Parameters(index = "1", paramLabel = "DESTINATION", description = "Where to place it (%%p in restore_command).")
    Path destination;

    WalFetchCommand(PgwardenCli root) {
        this.root = root;
    }

    @Override
    public Integer call() throws Exception {
        PgwardenConfig config = root.loadConfig().config();
        LoggingSetup.apply(config.logging());
        int window = config.restore().prefetch();
        // The repository's configuration, not its connection, names the spool: a hit opens nothing.
        WalSpool spool = WalSpool.forStanza(config.restore().spoolDirectory(), config.stanza(),
                config.repository().toString(), 2 * window);
        // PostgreSQL is not needed (it is the server being recovered), so Components is not opened.
        Deque<AutoCloseable> opened = new ArrayDeque<>();
        try {
            WalFetch.Result r;
            try {
                r = new WalFetch(() -> openArchive(config, opened), spool, window, Metrics.noop())
                        .fetch(name, destination.toAbsolutePath());
            } catch (PgwardenException e) {
                // PostgreSQL reads exit codes 1..125 as "not in the archive" and would end recovery here,
                // promoting a cluster that silently misses data. Above 125 it stops recovery instead:
                // the operator fixes the repository and starts PostgreSQL again, and recovery goes on.
                root.context().err().println("error: [" + e.errorCode().id() + "] " + e.describe());
                root.context().err().println("HINT: recovery is stopped, not ended: fix the cause and start"
                        + " PostgreSQL again to continue");
                return STOP_RECOVERY;
            }
            return report(r);
        } finally {
            while (!opened.isEmpty()) {
                opened.pop().close();
            }
        }
    }

    private WalFetch.Archive openArchive(PgwardenConfig config, Deque<AutoCloseable> opened) {
        var env = root.context().environment();
        KeyWrapper key = Components.openKey(config.encryption(), env, Metrics.noop());
        opened.push(key);
        ObjectStore store = Components.openRepository(config.repository(), env, Metrics.noop());
        opened.push(store);
        RepositoryAccess repo = RepositoryAccess.open(config, store, key, root.context().clock());
        return new WalFetch.Archive(repo.objects(), new WalArchiveIndex(store),
                () -> new StanzaStore(store, repo.objects()).load().walSegmentSize());
    }

    private int report(WalFetch.Result r) {
        if (r.outcome() == WalFetch.Outcome.MISSING) {
            LOG.info("wal-fetch {} is not in the archive", name);
            return ExitCode.FAILED;
        }
        LOG.info("wal-fetch {} restored{}{}", name, r.outcome() == WalFetch.Outcome.SPOOL_HIT
                ? " from the prefetch spool" : " from the repository",
                r.prefetched() > 0 ? "; prefetched " + r.prefetched() + " more" : "");
        return ExitCode.OK;
    }
}
