package org.pgwarden.testing;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;

/**
 * A small HTTP/1.1 proxy between the SDK and S3Mock that fails requests on demand: it answers
 * chosen requests with S3 error documents (503 SlowDown, 500 InternalError, 403 AccessDenied) or
 * resets the connection halfway through the request body, and forwards everything else. Each
 * client connection carries one request ({@code Connection: close}), which keeps forwarding a
 * plain byte copy. Every request is recorded with its headers.
 */
public final class FaultInjectingProxy implements AutoCloseable {

    public enum Fault {
        SLOW_DOWN_503, INTERNAL_ERROR_500, ACCESS_DENIED_403, RESET_MID_BODY,
        /** Forwards the request but flips one bit of the answer's first body byte (for GETs). */
        CORRUPT_RESPONSE_BODY
    }

    /** A request as received; header names in lowercase. */
    public record Request(String method, String target, Map<String, String> headers) {
        public String header(String name) {
            return headers.get(name.toLowerCase(Locale.ROOT));
        }
    }

    private static final class Rule {
        final Fault fault;
        final Predicate<Request> when;
        int remaining;

        Rule(Fault fault, int times, Predicate<Request> when) {
            this.fault = fault;
            this.remaining = times;
            this.when = when;
        }
    }

    private final int upstreamPort;
    private final ServerSocket server;
    private final ExecutorService threads = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "fault-proxy");
        t.setDaemon(true);
        return t;
    });
    private final List<Rule> rules = new ArrayList<>();
    private final List<Request> requests = new CopyOnWriteArrayList<>();
    private final AtomicInteger faults = new AtomicInteger();

    private FaultInjectingProxy(int upstreamPort) throws IOException {
        this.upstreamPort = upstreamPort;
        this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        threads.execute(this::acceptLoop);
    }

    /** Starts a proxy on a free loopback port forwarding to {@code 127.0.0.1:upstreamPort}. */
    public static FaultInjectingProxy start(int upstreamPort) {
        try {
            return new FaultInjectingProxy(upstreamPort);
        } catch (IOException e) {
            throw new IllegalStateException("unable to start the fault-injecting proxy", e);
        }
    }

    public URI endpoint() {
        return URI.create("http://127.0.0.1:" + server.getLocalPort());
    }

    /** The next {@code times} requests matching {@code when} get {@code fault} instead of an answer from upstream. */
    public synchronized void inject(Fault fault, int times, Predicate<Request> when) {
        rules.add(new Rule(fault, times, when));
    }

    public static Predicate<Request> anyRequest() {
        return r -> true;
    }

    public static Predicate<Request> method(String method) {
        return r -> r.method().equals(method);
    }

    /** Matches requests whose target (path and query) contains {@code text}, e.g. {@code partNumber=2}. */
    public static Predicate<Request> targetContains(String text) {
        return r -> r.target().contains(text);
    }

    public List<Request> requests() {
        return List.copyOf(requests);
    }

    public long count(Predicate<Request> which) {
        return requests.stream().filter(which).count();
    }

    public int faultsInjected() {
        return faults.get();
    }

    /** Forgets recorded requests and pending faults. */
    public synchronized void reset() {
        rules.clear();
        requests.clear();
        faults.set(0);
    }

    @Override
    public void close() {
        try {
            server.close();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } finally {
            threads.shutdownNow();
        }
    }

    private void acceptLoop() {
        while (!server.isClosed()) {
            try {
                Socket client = server.accept();
                threads.execute(() -> handle(client));
            } catch (IOException e) {
                return; // closed
            }
        }
    }

    private synchronized Fault takeFault(Request r) {
        for (Iterator<Rule> it = rules.iterator(); it.hasNext(); ) {
            Rule rule = it.next();
            if (rule.when.test(r)) {
                if (--rule.remaining <= 0) {
                    it.remove();
                }
                faults.incrementAndGet();
                return rule.fault;
            }
        }
        return null;
    }

    private void handle(Socket client) {
        try (client) {
            InputStream in = new BufferedInputStream(client.getInputStream());
            List<String> lines = readHead(in);
            if (lines.isEmpty()) {
                return;
            }
            String[] first = lines.get(0).split(" ");
            Map<String, String> headers = new LinkedHashMap<>();
            for (String line : lines.subList(1, lines.size())) {
                int colon = line.indexOf(':');
                headers.put(line.substring(0, colon).trim().toLowerCase(Locale.ROOT), line.substring(colon + 1).trim());
            }
            Request request = new Request(first[0], first[1], headers);
            requests.add(request);
            Fault fault = takeFault(request);
            if (fault == null || fault == Fault.CORRUPT_RESPONSE_BODY) {
                forward(client, in, lines, request, fault == Fault.CORRUPT_RESPONSE_BODY);
            } else {
                inject(client, in, request, fault);
            }
        } catch (IOException e) {
            // The client gave up on this connection (e.g. after a reset we caused): nothing to answer.
        }
    }

    private void inject(Socket client, InputStream in, Request request, Fault fault) throws IOException {
        long length = contentLength(request);
        boolean expectsContinue = "100-continue".equalsIgnoreCase(request.header("expect"));
        OutputStream out = client.getOutputStream();
        if (fault == Fault.RESET_MID_BODY) {
            if (expectsContinue) {
                out.write("HTTP/1.1 100 Continue\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
                out.flush();
            }
            in.readNBytes((int) Math.min(Integer.MAX_VALUE, Math.max(1, length / 2)));
            client.setSoLinger(true, 0); // close with RST, as a dropped connection looks to the client
            return;
        }
        if (!expectsContinue && length > 0) {
            in.skipNBytes(length); // read the body so closing does not reset before the answer is read
        }
        String status;
        String code;
        String message;
        switch (fault) {
            case SLOW_DOWN_503 -> {
                status = "503 Slow Down";
                code = "SlowDown";
                message = "Please reduce your request rate.";
            }
            case INTERNAL_ERROR_500 -> {
                status = "500 Internal Server Error";
                code = "InternalError";
                message = "We encountered an internal error. Please try again.";
            }
            default -> {
                status = "403 Forbidden";
                code = "AccessDenied";
                message = "Access Denied";
            }
        }
        byte[] body = request.method().equals("HEAD") ? new byte[0]
                : ("<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>" + code + "</Code><Message>" + message
                        + "</Message><RequestId>fault-injected</RequestId></Error>").getBytes(StandardCharsets.UTF_8);
        String head = "HTTP/1.1 " + status + "\r\nContent-Type: application/xml\r\nContent-Length: " + body.length
                + "\r\nConnection: close\r\n\r\n";
        out.write(head.getBytes(StandardCharsets.ISO_8859_1));
        out.write(body);
        out.flush();
    }

    private void forward(Socket client, InputStream in, List<String> lines, Request request, boolean corrupt)
            throws IOException {
        try (Socket upstream = new Socket()) {
            upstream.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), upstreamPort));
            StringBuilder head = new StringBuilder(lines.get(0)).append("\r\n");
            for (String line : lines.subList(1, lines.size())) {
                if (!line.toLowerCase(Locale.ROOT).startsWith("connection:")) {
                    head.append(line).append("\r\n");
                }
            }
            head.append("Connection: close\r\n\r\n");
            OutputStream up = upstream.getOutputStream();
            up.write(head.toString().getBytes(StandardCharsets.ISO_8859_1));
            up.flush();
            var answer = threads.submit(() -> {
                InputStream fromUpstream = upstream.getInputStream();
                if (corrupt) {
                    fromUpstream = new BufferedInputStream(fromUpstream);
                    StringBuilder responseHead = new StringBuilder();
                    for (String line : readHead(fromUpstream)) {
                        responseHead.append(line).append("\r\n");
                    }
                    client.getOutputStream().write(responseHead.append("\r\n").toString()
                            .getBytes(StandardCharsets.ISO_8859_1));
                    int b = fromUpstream.read();
                    if (b >= 0) {
                        client.getOutputStream().write(b ^ 0x01);
                    }
                }
                fromUpstream.transferTo(client.getOutputStream());
                client.getOutputStream().flush();
                return null;
            });
            long length = contentLength(request);
            if (length > 0) {
                copy(in, up, length);
            } else if ("chunked".equalsIgnoreCase(request.header("transfer-encoding"))) {
                in.transferTo(up);
            }
            up.flush();
            try {
                answer.get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (java.util.concurrent.ExecutionException e) {
                throw new IOException(e.getCause());
            }
        }
    }

    private static void copy(InputStream in, OutputStream out, long length) throws IOException {
        byte[] buf = new byte[64 * 1024];
        long left = length;
        while (left > 0) {
            int n = in.read(buf, 0, (int) Math.min(buf.length, left));
            if (n < 0) {
                throw new IOException("client closed after " + (length - left) + " of " + length + " body bytes");
            }
            out.write(buf, 0, n);
            left -= n;
        }
    }

    private static long contentLength(Request r) {
        String v = r.header("content-length");
        return v == null ? 0 : Long.parseLong(v);
    }

    private static List<String> readHead(InputStream in) throws IOException {
        List<String> lines = new ArrayList<>();
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        int prev = -1;
        for (int b; (b = in.read()) >= 0; prev = b) {
            if (b == '\n' && prev == '\r') {
                byte[] bytes = line.toByteArray();
                String s = new String(bytes, 0, bytes.length - 1, StandardCharsets.ISO_8859_1);
                if (s.isEmpty()) {
                    return lines;
                }
                lines.add(s);
                line.reset();
            } else {
                line.write(b);
            }
        }
        return List.of();
    }
}
