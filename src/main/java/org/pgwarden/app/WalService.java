package org.pgwarden.app;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.pgwarden.adapter.unixsocket.UnixSocketServer;
import org.pgwarden.common.PgwardenException;
import org.pgwarden.config.PgwardenConfig;
import org.pgwarden.metrics.MeterNames;
import org.pgwarden.metrics.Metrics;
import org.pgwarden.repo.StanzaInfo;
import org.pgwarden.repo.StanzaStore;
import org.pgwarden.repo.WalArchiveIndex;
import org.pgwarden.wal.PushAhead;
import org.pgwarden.wal.WalPush;
import org.pgwarden.walclient.WalProtocol;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The daemon's WAL archiver: the Unix socket {@code wal-push} talks to, and the look-ahead over
 * {@code archive_status}. The stanza is read from the repository on the first push rather than at
 * start, so the daemon starts while the repository is down and archiving resumes when it is back.
 */
final class WalService implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(WalService.class);
    /** Requests answered at once; PostgreSQL's archiver sends one at a time, a few more cover retries. */
    private static final int REQUEST_THREADS = 4;

    private final PushAhead pushAhead;
    private final ScheduledExecutorService poller;
    private final UnixSocketServer server;
    private final Metrics metrics;

    private WalService(PushAhead pushAhead, ScheduledExecutorService poller, UnixSocketServer server, Metrics metrics) {
        this.pushAhead = pushAhead;
        this.poller = poller;
        this.server = server;
        this.metrics = metrics;
    }

    static WalService start(PgwardenConfig config, Components components, Metrics metrics, Clock clock) {
        RepositoryAccess repo = RepositoryAccess.open(config, components, clock);
        LazyPush lazy = new LazyPush(repo, metrics);
        PushAhead pushAhead = new PushAhead(config.postgres().dataDirectory().resolve("pg_wal"), lazy::push,
                config.wal().pushAhead(), config.wal().pushAheadLimit(), metrics, clock);
        ScheduledExecutorService poller = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "wal-archive-status");
            t.setDaemon(true);
            return t;
        });
        WalService[] self = new WalService[1];
        UnixSocketServer server;
        try {
            server = UnixSocketServer.start(config.wal().socket(), REQUEST_THREADS, WalProtocol.MAX_LINE,
                    line -> self[0].answer(line));
        } catch (RuntimeException e) {
            pushAhead.stop(Duration.ZERO);
            poller.shutdownNow();
            throw e;
        }
        self[0] = new WalService(pushAhead, poller, server, metrics);
        long poll = config.wal().pollInterval().toMillis();
        poller.scheduleWithFixedDelay(self[0]::scan, 0, poll, TimeUnit.MILLISECONDS);
        log.info("wal archiver listening on '{}'; pushing ahead {} at once, at most {} queued", server.path(),
                config.wal().pushAhead(), config.wal().pushAheadLimit());
        return self[0];
    }

    /** A scheduled task that throws is never run again; the scan must survive anything. */
    private void scan() {
        try {
            pushAhead.scan();
        } catch (RuntimeException e) {
            log.warn("archive_status scan failed: {}", e.toString());
        }
    }

    /** One request line to one answer line; never throws (the socket adapter relies on it). */
    String answer(String line) {
        long start = System.nanoTime();
        Optional<String> path = WalProtocol.parseRequest(line);
        if (path.isEmpty()) {
            return WalProtocol.error(2, "unknown request; expected 'PUSH <absolute path>'");
        }
        String label = "failed";
        try {
            PushAhead.Answer a = pushAhead.request(Path.of(path.get()));
            label = a.label();
            log.info("wal-push {} {}", Path.of(path.get()).getFileName(), a == PushAhead.Answer.PUSHED_AHEAD
                    ? "was already pushed ahead" : a == PushAhead.Answer.WAITED ? "finished pushing ahead" : "pushed");
            return WalProtocol.ok(label.replace('_', '-'));
        } catch (RuntimeException e) {
            PgwardenException p = PgwardenException.of(e);
            log.warn("wal-push {} failed: [{}] {}", path.get(), p.errorCode().id(), p.getMessage());
            return WalProtocol.error(p.errorCode().exitCode(), "[" + p.errorCode().id() + "] " + p.getMessage()
                    + p.hint().map(h -> " HINT: " + h).orElse(""));
        } finally {
            metrics.observe(MeterNames.WAL_REQUEST_DURATION, java.time.Duration.ofNanos(System.nanoTime() - start),
                    "answer", label.toLowerCase(Locale.ROOT));
        }
    }

    /** Ordered: no new requests, then no new look-ahead, then pushes under way get {@code grace}. */
    void stop(Duration grace) {
        server.stop(grace);
        poller.shutdownNow();
        pushAhead.stop(grace);
    }

    @Override
    public void close() {
        stop(Duration.ofSeconds(10));
    }

    /** Builds {@link WalPush} once the stanza can be read; until then every push reports why it cannot. */
    private static final class LazyPush {
        private final RepositoryAccess repo;
        private final Metrics metrics;
        private volatile WalPush push;

        LazyPush(RepositoryAccess repo, Metrics metrics) {
            this.repo = repo;
            this.metrics = metrics;
        }

        WalPush.Result push(Path file) {
            WalPush p = push;
            if (p == null) {
                synchronized (this) {
                    if (push == null) {
                        StanzaInfo stanza = new StanzaStore(repo.store(), repo.objects()).load();
                        push = new WalPush(repo.objects(), new WalArchiveIndex(repo.store()), stanza, metrics);
                    }
                    p = push;
                }
            }
            return p.push(file);
        }
    }
}
