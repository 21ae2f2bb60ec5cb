package org.pgwarden.adapter.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetSocketAddress;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import org.pgwarden.adapter.http.AdminHttpServer.Response;
import org.pgwarden.common.Secret;
import org.pgwarden.metrics.MeterNames;
import org.pgwarden.testing.Http;
import org.pgwarden.testing.LogCapture;
import org.pgwarden.testing.RecordingMetrics;
import org.junit.jupiter.api.Test;

class AdminHttpServerTest {
    private static final String TOKEN = "unit-token-0123456789abcdef";
    private static final InetSocketAddress ANY = InetSocketAddress.createUnresolved("127.0.0.1", 0);

    private static AdminHttpServer start(Optional<AdminHttpServer.Api> api) {
        return AdminHttpServer.start(ANY, null, () -> Response.json(200, "{}"), () -> Response.json(200, "{}"), api);
    }

    private static String url(AdminHttpServer s, String path) {
        return "http://127.0.0.1:" + s.address().getPort() + path;
    }

    @Test
    void answersAreSentWithoutWaitingForTheClientsAcknowledgement() {
        // With Nagle's algorithm on, the body written after the headers waited 40 ms for the
        // client's delayed ACK on every answer; the JDK server reads this property once, at its
        // first use (measured: a CLI following a run learnt of its end 0.06-0.08 s late, now 0.01-0.03).
        try (AdminHttpServer s = start(Optional.empty())) {
            assertThat(System.getProperty("sun.net.httpserver.nodelay")).isEqualTo("true");
            assertThat(Http.send("GET", url(s, "/health/live"), null, null).status()).isEqualTo(200);
        }
    }

    @Test
    void withoutAnApiThereIsNoApiPath() {
        try (AdminHttpServer s = start(Optional.empty())) {
            assertThat(Http.send("GET", url(s, "/api/v1/jobs"), TOKEN, null).status()).isEqualTo(404);
            assertThat(Http.send("POST", url(s, "/api/v1/jobs"), TOKEN, "{}").status()).isEqualTo(404);
        }
    }

    @Test
    void onlyRequestsWithTheTokenReachTheHandlerAndRefusalsAreCountedWithoutTheToken() {
        List<String> seen = new CopyOnWriteArrayList<>();
        RecordingMetrics metrics = new RecordingMetrics();
        AdminHttpServer.Api api = new AdminHttpServer.Api(new Secret(TOKEN), (method, path, query, body) -> {
            seen.add(method + " " + path + " " + body);
            return new Response(202, "application/json", "{\"id\":\"x\"}", java.util.Map.of("Location", "/api/v1/jobs/x"));
        }, metrics);
        try (AdminHttpServer s = start(Optional.of(api)); LogCapture logs = LogCapture.of(AdminHttpServer.class.getName())) {
            Http.Reply none = Http.send("POST", url(s, "/api/v1/jobs"), null, "{}");
            Http.Reply wrong = Http.send("POST", url(s, "/api/v1/jobs"), "not-the-token-at-all", "{}");
            Http.Reply prefix = Http.send("POST", url(s, "/api/v1/jobs"), TOKEN.substring(0, 10), "{}");
            for (Http.Reply r : List.of(none, wrong, prefix)) {
                assertThat(r.status()).isEqualTo(401);
                assertThat(r.body()).isEqualTo("{\"error\":\"unauthorized\"}");
            }
            assertThat(seen).isEmpty();
            Http.Reply ok = Http.send("POST", url(s, "/api/v1/jobs"), TOKEN, "{\"kind\":\"backup\"}");
            assertThat(ok.status()).isEqualTo(202);
            assertThat(ok.location()).isEqualTo("/api/v1/jobs/x");
            assertThat(seen).containsExactly("POST /v1/jobs {\"kind\":\"backup\"}");
            assertThat(metrics.counter(MeterNames.ADMIN_API_REQUESTS, "method", "POST", "status", "401")).isEqualTo(3.0);
            assertThat(metrics.counter(MeterNames.ADMIN_API_REQUESTS, "method", "POST", "status", "202")).isEqualTo(1.0);
            assertThat(logs.lines()).filteredOn(l -> l.contains("admin API request refused")).hasSize(3)
                    .noneMatch(l -> l.contains("not-the-token-at-all") || l.contains(TOKEN.substring(0, 10)));
        }
    }

    @Test
    void aHandlerFailureIs500WithoutItsDetail() {
        AdminHttpServer.Api api = new AdminHttpServer.Api(new Secret(TOKEN), (m, p, q, b) -> {
            throw new IllegalStateException("internal detail");
        }, new RecordingMetrics());
        try (AdminHttpServer s = start(Optional.of(api))) {
            Http.Reply r = Http.send("GET", url(s, "/api/v1/jobs"), TOKEN, null);
            assertThat(r.status()).isEqualTo(500);
            assertThat(r.body()).doesNotContain("internal detail");
        }
    }

    @Test
    void tokensCompareWholeAndExact() {
        assertThat(AdminHttpServer.sameToken(TOKEN, TOKEN)).isTrue();
        assertThat(AdminHttpServer.sameToken(TOKEN + "x", TOKEN)).isFalse();
        assertThat(AdminHttpServer.sameToken("", TOKEN)).isFalse();
        assertThat(AdminHttpServer.refusal("bearer " + TOKEN, new Secret(TOKEN))).isNull();
        assertThat(AdminHttpServer.refusal("Basic abc", new Secret(TOKEN))).isEqualTo("not a bearer token");
    }
}
