package org.pgwarden.adapter.http;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.pgwarden.common.ErrorCode;
import org.pgwarden.common.PgwardenException;
import org.pgwarden.common.Secret;
import org.pgwarden.metrics.MeterNames;
import org.pgwarden.metrics.Metrics;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The daemon's HTTP listener on the JDK's built-in server: {@code /metrics} (Prometheus text),
 * {@code /health/live} and {@code /health/ready}. Handlers only read state prepared elsewhere, so
 * a scrape or a probe never waits on PostgreSQL or the repository.
 *
 * <p>With an {@link Api}, {@code /api/...} answers requests that carry the bearer token; without
 * one, {@code /api} does not exist (404). A request without the right token gets 401 and no
 * detail; the refusal is a log line and a metric, neither of which carries the token.
 */
public final class AdminHttpServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(AdminHttpServer.class);
    /** Requests served at once; more wait in line. */
    private static final int HTTP_THREADS = 16;

    static {
        // The JDK's server writes a response's headers and its body separately; without TCP_NODELAY
        // the body waits for the client's delayed acknowledgement of the headers, 40 ms on Linux, on
        // every answer (a CLI following a run learnt of its end 40 ms late). Read once, when the
        // JDK's server configuration loads, so it is set before the first server is created; an
        // explicit -Dsun.net.httpserver.nodelay wins.
        if (System.getProperty("sun.net.httpserver.nodelay") == null) {
            System.setProperty("sun.net.httpserver.nodelay", "true");
        }
    }

    /** Request bodies larger than this are refused (413); API requests are a few dozen bytes. */
    static final int MAX_BODY = 64 * 1024;

    /** A response: status, content type, body and extra headers (e.g. {@code Location}). */
    public record Response(int status, String contentType, String body, Map<String, String> headers) {
        public Response(int status, String contentType, String body) {
            this(status, contentType, body, Map.of());
        }

        public static Response json(int status, String body) {
            return new Response(status, "application/json", body);
        }
    }

    /** Answers an authenticated API request; {@code path} is below {@code /api} (e.g. {@code /v1/jobs}). */
    @FunctionalInterface
    public interface ApiHandler {
        Response handle(String method, String path, String query, String body);
    }

    /** The admin API: the token requests must carry, the handler, and where refusals are counted. */
    public record Api(Secret token, ApiHandler handler, Metrics metrics) {
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
        return start(address, metrics, live, ready, Optional.empty());
    }

    /** As {@link #start(InetSocketAddress, Supplier, Supplier, Supplier)}, with the admin API when given. */
    public static AdminHttpServer start(InetSocketAddress address, Supplier<Response> metrics,
            Supplier<Response> live, Supplier<Response> ready, Optional<Api> api) {
        HttpServer server;
        InetSocketAddress bind = new InetSocketAddress(address.getHostString(), address.getPort());
        try {
            server = HttpServer.create(bind, 16);
        } catch (IOException e) {
            throw new PgwardenException(ErrorCode.HTTP_BIND_FAILED, "unable to listen on '" + address.getHostString()
                    + ":" + address.getPort() + "': " + e.getMessage(),
                    "another process may use the port; change admin.listen", e);
        }
        // A follower's request for a run waits for its end (up to half a second as the CLI asks):
        // enough threads that followers never hold up scrapes and health checks, none kept idle.
        ThreadPoolExecutor executor = new ThreadPoolExecutor(HTTP_THREADS, HTTP_THREADS, 60, TimeUnit.SECONDS,
                new LinkedBlockingQueue<>(), r -> {
                    Thread t = new Thread(r, "pgwarden-http");
                    t.setDaemon(true);
                    return t;
                });
        executor.allowCoreThreadTimeOut(true);
        server.setExecutor(executor);
        server.createContext("/metrics", ex -> serve(ex, metrics));
        server.createContext("/health/live", ex -> serve(ex, live));
        server.createContext("/health/ready", ex -> serve(ex, ready));
        api.ifPresent(a -> server.createContext("/api/", ex -> serveApi(ex, a)));
        server.createContext("/", ex -> serve(ex, null));
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
            if (handler == null || !exactPath(ex)) {
                r = Response.json(404, "{\"error\":\"not found\"}");
            } else if (!"GET".equals(ex.getRequestMethod()) && !"HEAD".equals(ex.getRequestMethod())) {
                r = Response.json(405, "{\"error\":\"method not allowed\"}");
            } else {
                try {
                    r = handler.get();
                } catch (RuntimeException e) {
                    log.warn("http handler for '{}' failed: {}", ex.getRequestURI().getPath(), e.toString());
                    r = Response.json(500, "{\"error\":\"internal error\"}");
                }
            }
            send(ex, r, "HEAD".equals(ex.getRequestMethod()));
        }
    }

    private static void send(HttpExchange ex, Response r, boolean head) throws IOException {
        byte[] body = r.body().getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", r.contentType());
        ex.getResponseHeaders().set("Cache-Control", "no-store");
        r.headers().forEach((k, v) -> ex.getResponseHeaders().set(k, v));
        ex.sendResponseHeaders(r.status(), head ? -1 : body.length);
        if (!head) {
            try (OutputStream out = ex.getResponseBody()) {
                out.write(body);
            }
        }
    }

    private static void serveApi(HttpExchange ex, Api api) throws IOException {
        try (ex) {
            String method = ex.getRequestMethod();
            String path = ex.getRequestURI().getPath().substring("/api".length());
            Response r;
            String refusal = refusal(ex.getRequestHeaders().getFirst("Authorization"), api.token());
            if (refusal != null) {
                log.warn("admin API request refused: {} method={} path={} remote={}", refusal, method,
                        ex.getRequestURI().getPath(), ex.getRemoteAddress().getAddress().getHostAddress());
                ex.getResponseHeaders().set("WWW-Authenticate", "Bearer");
                r = Response.json(401, "{\"error\":\"unauthorized\"}");
            } else {
                byte[] in = ex.getRequestBody().readNBytes(MAX_BODY + 1);
                if (in.length > MAX_BODY) {
                    r = Response.json(413, "{\"error\":\"request body larger than " + MAX_BODY + " bytes\"}");
                } else {
                    try {
                        r = api.handler().handle(method, path, ex.getRequestURI().getRawQuery(),
                                new String(in, StandardCharsets.UTF_8));
                    } catch (RuntimeException e) {
                        log.warn("admin API {} {} failed: {}", method, ex.getRequestURI().getPath(), e.toString());
                        r = Response.json(500, "{\"error\":\"internal error\"}");
                    }
                }
            }
            api.metrics().increment(MeterNames.ADMIN_API_REQUESTS, "method", knownMethod(method),
                    "status", Integer.toString(r.status()));
            send(ex, r, false);
        }
    }

    /** Why the request is refused (for the log only), or null when it carries the token. */
    static String refusal(String authorization, Secret token) {
        if (authorization == null || authorization.isBlank()) {
            return "no bearer token";
        }
        if (!authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return "not a bearer token";
        }
        return sameToken(authorization.substring(7).trim(), token.reveal()) ? null : "wrong bearer token";
    }

    /**
     * Constant-time comparison: both sides are hashed first, so neither the position of the first
     * difference nor the token's length shows in the time taken.
     */
    static boolean sameToken(String given, String expected) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            byte[] a = sha.digest(given.getBytes(StandardCharsets.UTF_8));
            byte[] b = sha.digest(expected.getBytes(StandardCharsets.UTF_8));
            return MessageDigest.isEqual(a, b);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }

    /** Bounded metric label: unknown methods are counted as {@code other}. */
    private static String knownMethod(String method) {
        return switch (method) {
            case "GET", "POST", "HEAD", "PUT", "DELETE" -> method;
            default -> "other";
        };
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
