package org.pgwarden.app;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.HttpURLConnection;
import java.net.InetSocketAddress;
import java.net.Proxy;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.pgwarden.common.ErrorCode;
import org.pgwarden.common.PgwardenException;
import org.pgwarden.common.Secret;
import org.pgwarden.config.AdminConfig;

/**
 * The command line's side of the admin API: reaches the running daemon on {@code admin.listen}
 * with the token from {@code admin.token-file}, and turns each way a request can fail into an
 * error that says what to do, including how to run the job without the daemon.
 *
 * <p>Plain blocking {@link HttpURLConnection}, not {@code java.net.http.HttpClient}: the latter keeps
 * a selector thread waiting in native code, and a JVM exiting with a thread in native code waits
 * 300 ms for it, which every command that asks the daemon paid at its end.
 */
final class AdminClient {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int CONNECT_TIMEOUT_MILLIS = 5_000;
    private static final int READ_TIMEOUT_MILLIS = 30_000;

    private final String base;
    private final Path tokenFile;
    private final Secret token;
    private final String withoutDaemon;

    private AdminClient(String base, Path tokenFile, Secret token, String withoutDaemon) {
        this.base = base;
        this.tokenFile = tokenFile;
        this.token = token;
        this.withoutDaemon = withoutDaemon;
    }

    /**
     * @param withoutDaemon how to do without the daemon, ending error hints; e.g. {@code run the job
     *                      here without it: 'pgwarden backup --type full'}
     */
    static AdminClient of(AdminConfig admin, String withoutDaemon) {
        Path file = admin.tokenFile().orElseThrow(() -> new PgwardenException(ErrorCode.USAGE,
                "admin.token-file is not set, so the daemon has no admin API to send this to",
                "set admin.token-file (mode 0600, owned by the daemon's user) and restart the daemon; or "
                        + withoutDaemon, null));
        InetSocketAddress listen = admin.listen();
        if (listen.getPort() == 0) {
            throw new PgwardenException(ErrorCode.USAGE, "admin.listen has port 0 (any free port), so the daemon"
                    + " cannot be found", "configure a fixed port such as 127.0.0.1:9816", null);
        }
        String host = listen.getHostString();
        if (host.equals("0.0.0.0") || host.equals("::")) {
            host = "127.0.0.1";
        } else if (host.contains(":")) {
            host = "[" + host + "]";
        }
        return new AdminClient("http://" + host + ":" + listen.getPort(), file, AdminToken.read(file), withoutDaemon);
    }

    /** For a daemon already found at {@code base} ({@code http://host:port}) by a client that read the token file. */
    static AdminClient at(String base, Path tokenFile, String withoutDaemon) {
        return new AdminClient(base, tokenFile, AdminToken.read(tokenFile), withoutDaemon);
    }

    String base() {
        return base;
    }

    JsonNode get(String path) {
        return send("GET", path, null);
    }

    JsonNode post(String path, String json) {
        return send("POST", path, json);
    }

    private JsonNode send(String method, String path, String json) {
        byte[] body = json == null ? null : json.getBytes(StandardCharsets.UTF_8);
        HttpURLConnection c;
        try {
            // The admin API listens on this host: no proxy, whatever the environment configures.
            c = (HttpURLConnection) URI.create(base + path).toURL().openConnection(Proxy.NO_PROXY);
            c.setConnectTimeout(CONNECT_TIMEOUT_MILLIS);
            c.setReadTimeout(READ_TIMEOUT_MILLIS);
            c.setRequestMethod(method);
            c.setRequestProperty("Authorization", "Bearer " + token.reveal());
            if (body != null) {
                c.setRequestProperty("Content-Type", "application/json");
                c.setDoOutput(true);
                c.setFixedLengthStreamingMode(body.length);
            }
            c.connect();
        } catch (ConnectException | SocketTimeoutException e) {
            throw new PgwardenException(ErrorCode.DAEMON_UNREACHABLE, "no pgwarden daemon answers on " + base
                    + " (admin.listen)", "start the daemon (systemctl start pgwarden); or " + withoutDaemon, e);
        } catch (IOException e) {
            throw failed(e);
        }
        int status;
        String text;
        try {
            if (body != null) {
                try (OutputStream out = c.getOutputStream()) {
                    out.write(body);
                }
            }
            status = c.getResponseCode();
            try (InputStream in = status >= 400 ? c.getErrorStream() : c.getInputStream()) {
                text = in == null ? "" : new String(in.readAllBytes(), StandardCharsets.UTF_8);
            }
        } catch (IOException e) {
            throw failed(e);
        }
        JsonNode reply = parse(text);
        if (status == 401) {
            throw new PgwardenException(ErrorCode.API_REQUEST_REFUSED, "the daemon on " + base
                    + " refused the token in '" + tokenFile + "'", "the file must hold the token the daemon was"
                    + " started with (the daemon reads admin.token-file at start)", null);
        }
        if (status == 404 && !reply.has("code")) {
            throw new PgwardenException(ErrorCode.API_REQUEST_REFUSED, "the daemon on " + base
                    + " has no admin API: it was started without admin.token-file", "set admin.token-file and"
                    + " restart the daemon; or " + withoutDaemon, null);
        }
        if (status >= 400) {
            String message = reply.path("error").asText("HTTP " + status);
            ErrorCode code = ErrorCode.byId(reply.path("code").asText("")).orElse(
                    status >= 500 ? ErrorCode.DAEMON_UNREACHABLE : ErrorCode.API_REQUEST_REFUSED);
            throw new PgwardenException(code == ErrorCode.USAGE ? ErrorCode.API_REQUEST_REFUSED : code,
                    "the daemon refused the request: " + message);
        }
        return reply;
    }

    private PgwardenException failed(IOException e) {
        return new PgwardenException(ErrorCode.DAEMON_UNREACHABLE, "request to the daemon on " + base
                + " failed: " + e.getClass().getSimpleName(), "is the daemon running? or " + withoutDaemon, e);
    }

    /** The body as JSON; a 404 for an unknown run still carries JSON with a code. */
    private static JsonNode parse(String body) {
        try {
            JsonNode n = JSON.readTree(body);
            return n == null ? JSON.createObjectNode() : n;
        } catch (IOException e) {
            return JSON.createObjectNode();
        }
    }
}
