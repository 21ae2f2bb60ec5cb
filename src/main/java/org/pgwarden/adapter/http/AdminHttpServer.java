package org.pgwarden.adapter.http;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Supplier;
import org.pgwarden.common.ErrorCode;
import org.pgwarden.common.PgwardenException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The daemon's HTTP listener on the JDK's built-in server: {@code /metrics} (Prometheus text),
 * {@code /health/live} and {@code /health/ready}. Handlers only read state prepared elsewhere, so
 * a scrape or a probe never waits on PostgreSQL or the repository.
 */
public final class AdminHttpServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(AdminHttpServer.class);

    /** A response: status, content type and body. */
    public record Response(int status, String contentType, String body) {
        public static Response json(int status, String body) {
            return new Response(status, "application/json", body);
        }
    }

    private final HttpServer server;
    private final ExecutorService executor;

    private AdminHttpServer(HttpServer server, ExecutorService executor) {
        this.server = server;
        this.executor = executor;
    }

    /**
     * Binds and starts the listener.
     *
     * @param metrics null when metrics are disabled ({@code /metrics} then answers 404)
     */
    public static AdminHttpServer start(InetSocketAddress address, Supplier<Response> metrics,
            Supplier<Response> live, Supplier<Response> ready) {
        HttpServer server;
        InetSocketAddress bind = new InetSocketAddress(address.getHostString(), address.getPort());
        try {
            server = HttpServer.create(bind, 16);
        } catch (IOException e) {
            throw new PgwardenException(ErrorCode.HTTP_BIND_FAILED, "unable to listen on '" + address.getHostString()
                    + ":" + address.getPort() + "': " + e.getMessage(),
                    "another process may use the port; change admin.listen", e);
        }
        ExecutorService executor = Executors.newFixedThreadPool(2, r -> {
            Thread t = new Thread(r, "pgwarden-http");
            t.setDaemon(true);
            return t;
        });
        server.setExecutor(executor);
        server.createContext("/metrics", ex -> serve(ex, metrics));
        server.createContext("/health/live", ex -> serve(ex, live));
        server.createContext("/health/ready", ex -> serve(ex, ready));
        server.createContext("/", ex -> serve(ex, () -> Response.json(404, "{\"error\":\"not found\"}")));
        server.start();
        return new AdminHttpServer(server, executor);
    }

    /** The bound address (the real port when 0 was configured). */
    public InetSocketAddress address() {
        return server.getAddress();
    }

    private static void serve(HttpExchange ex, Supplier<Response> handler) throws IOException {
        try (ex) {
            Response r;
            if (!"GET".equals(ex.getRequestMethod()) && !"HEAD".equals(ex.getRequestMethod())) {
                r = Response.json(405, "{\"error\":\"method not allowed\"}");
            } else if (handler == null) {
                r = Response.json(404, "{\"error\":\"not found\"}");
            } else if (!exactPath(ex)) {
                r = Response.json(404, "{\"error\":\"not found\"}");
            } else {
                try {
                    r = handler.get();
                } catch (RuntimeException e) {
                    log.warn("http handler for '{}' failed: {}", ex.getRequestURI().getPath(), e.toString());
                    r = Response.json(500, "{\"error\":\"internal error\"}");
                }
            }
            byte[] body = r.body().getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().set("Content-Type", r.contentType());
            ex.getResponseHeaders().set("Cache-Control", "no-store");
            boolean head = "HEAD".equals(ex.getRequestMethod());
            ex.sendResponseHeaders(r.status(), head ? -1 : body.length);
            if (!head) {
                try (OutputStream out = ex.getResponseBody()) {
                    out.write(body);
                }
            }
        }
    }

    private static boolean exactPath(HttpExchange ex) {
        String path = ex.getRequestURI().getPath();
        String ctx = ex.getHttpContext().getPath();
        return ctx.equals("/") || path.equals(ctx) || path.equals(ctx + "/");
    }

    @Override
    public void close() {
        server.stop(1);
        executor.shutdownNow();
    }
}
