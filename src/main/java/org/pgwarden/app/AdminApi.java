package org.pgwarden.app;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;
import org.pgwarden.adapter.http.AdminHttpServer;
import org.pgwarden.adapter.http.AdminHttpServer.Response;
import org.pgwarden.common.ErrorCode;
import org.pgwarden.common.PgwardenException;
import org.pgwarden.common.Secret;
import org.pgwarden.config.PgwardenConfig;
import org.pgwarden.job.JobContext;
import org.pgwarden.job.JobOutcome;
import org.pgwarden.job.JobRunner;
import org.pgwarden.job.JobTrigger;
import org.pgwarden.metrics.Metrics;

/**
 * The admin API, version 1, behind the bearer token (checked by the HTTP adapter):
 * <pre>
 * GET  /api/v1/backups      the repository's backups: the document of 'info --output json'
 * GET  /api/v1/jobs         runs queued, waiting for their lock or running, then finished ones, newest first
 * GET  /api/v1/jobs/{id}    one run; with ?wait=MILLIS (at most 20000) a run not finished yet is
 *                           answered when it finishes or after that long, whichever comes first
 * POST /api/v1/jobs         {"kind":"backup","type":"full"} → 202, the run id and a Location
 * POST /api/v1/commands     {"command":"restore","args":["--pgdata","/x"],"cwd":"/"} → as POST /jobs, the run
 *                           of that command line (backup or restore), plus "after": lines to print on success
 * </pre>
 * Errors are {@code {"error": "...", "code": "PGWnnn"}} with 400 for a bad request, 404 for an
 * unknown path or run, 405 for a wrong method, 429 when too many triggered runs wait, 503 when
 * the repository cannot be read.
 */
final class AdminApi implements AdminHttpServer.ApiHandler, AutoCloseable {
    /** Triggered runs waiting or running at once; more are refused (429). */
    static final int MAX_TRIGGERED = 16;
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String JOBS = "/v1/jobs";
    private static final String COMMANDS = "/v1/commands";

    /** Turns a command line sent to {@code POST /api/v1/commands} into its job. */
    interface CommandParser {
        DaemonRequest parse(String command, List<String> args, Path workingDirectory);
    }

    private final JobSubmitter submitter;
    private final JobRunner runner;
    private final Supplier<ObjectNode> backups;
    private final CommandParser commands;
    private final AutoCloseable resources;

    AdminApi(JobSubmitter submitter, JobRunner runner, Supplier<ObjectNode> backups, CommandParser commands,
            AutoCloseable resources) {
        this.submitter = submitter;
        this.runner = runner;
        this.backups = backups;
        this.commands = commands;
        this.resources = resources;
    }

    /**
     * The API for the daemon, or empty when {@code admin.token-file} is not set.
     *
     * @throws PgwardenException {@code ADMIN_TOKEN_INVALID} naming the token file when it is not
     *         usable (missing, open to others, owned by another user)
     */
    static Optional<AdminHttpServer.Api> open(PgwardenConfig config, Components components, JobRunner runner,
            DaemonJobs jobs, Metrics metrics, Clock clock, List<AutoCloseable> toClose) {
        if (config.admin().tokenFile().isEmpty()) {
            return Optional.empty();
        }
        Secret token = AdminToken.loadForDaemon(config.admin().tokenFile().get());
        RunnerJobSubmitter submitter = new RunnerJobSubmitter(runner, jobs, config.admin().triggerLockWait(), clock,
                MAX_TRIGGERED);
        AdminApi api = new AdminApi(submitter, runner,
                () -> InfoCommand.collect(config.stanza(), RepositoryAccess.open(config, components, clock)),
                (command, args, cwd) -> CommandHandOver.parse(command, args, cwd, config), submitter);
        toClose.add(api);
        return Optional.of(new AdminHttpServer.Api(token, api, metrics));
    }

    @Override
    public Response handle(String method, String path, String query, String body) {
        String p = path.endsWith("/") && path.length() > 1 ? path.substring(0, path.length() - 1) : path;
        try {
            if (p.equals("/v1/backups")) {
                return method.equals("GET") ? backups() : notAllowed("GET");
            }
            if (p.equals(JOBS)) {
                return switch (method) {
                    case "GET" -> jobs();
                    case "POST" -> submit(body);
                    default -> notAllowed("GET, POST");
                };
            }
            if (p.equals(COMMANDS)) {
                return method.equals("POST") ? command(body) : notAllowed("POST");
            }
            if (p.startsWith(JOBS + "/")) {
                return method.equals("GET") ? job(p.substring(JOBS.length() + 1), waitParameter(query))
                        : notAllowed("GET");
            }
            return error(404, ErrorCode.USAGE, "no such API path '/api" + p + "'; see /api/v1/jobs and /api/v1/backups");
        } catch (PgwardenException e) {
            int status = switch (e.errorCode()) {
                case USAGE -> 400;
                case JOB_QUEUE_FULL -> 429;
                default -> e.errorCode().exitCode() == org.pgwarden.common.ExitCode.USAGE ? 400
                        : e.errorCode().exitCode() == org.pgwarden.common.ExitCode.DEPENDENCY ? 503 : 500;
            };
            return error(status, e.errorCode(), e.getMessage());
        }
    }

    private Response backups() {
        return Response.json(200, write(backups.get()));
    }

    private Response submit(String body) {
        String example = "{\"kind\":\"backup\",\"type\":\"full\"}";
        JsonNode doc = object(body, example);
        JsonNode kind = doc.get("kind");
        if (kind == null || !kind.isTextual()) {
            return badRequest("expected a string field 'kind' (one of " + String.join(", ", submitter.kinds()) + ")");
        }
        return accepted(submitter.submit(kind.asText(), parameters(doc), JobTrigger.API), List.of());
    }

    /** A command line the daemon parses as the command would, and runs as that command's job. */
    private Response command(String body) {
        JsonNode doc = object(body, "{\"command\":\"restore\",\"args\":[\"--pgdata\",\"/x\"],\"cwd\":\"/\"}");
        JsonNode command = doc.get("command");
        if (command == null || !command.isTextual()) {
            return badRequest("expected a string field 'command' (one of " + String.join(", ", CommandHandOver.COMMANDS)
                    + ")");
        }
        JsonNode args = doc.get("args");
        if (args == null || !args.isArray()) {
            return badRequest("expected an array of strings 'args': the arguments after the command's name");
        }
        List<String> arguments = new ArrayList<>();
        for (JsonNode a : args) {
            if (!a.isTextual()) {
                return badRequest("field 'args' must hold strings only");
            }
            arguments.add(a.asText());
        }
        JsonNode cwd = doc.get("cwd");
        if (cwd == null || !cwd.isTextual() || !cwd.asText().startsWith("/")) {
            return badRequest("expected a string field 'cwd', the absolute working directory relative paths in 'args'"
                    + " are resolved against");
        }
        DaemonRequest request = commands.parse(command.asText(), arguments, Path.of(cwd.asText()));
        return accepted(submitter.submit(request.job().get("kind").asText(), parameters(request.job()),
                JobTrigger.API), request.afterSuccess());
    }

    /** {@code body} as a JSON object; a 400 (thrown as {@code USAGE}) naming {@code example} otherwise. */
    private static JsonNode object(String body, String example) {
        JsonNode doc;
        try {
            doc = JSON.readTree(body);
        } catch (JsonProcessingException e) {
            throw new PgwardenException(ErrorCode.USAGE, "request body is not valid JSON ("
                    + e.getOriginalMessage().replaceAll("\\s+", " ") + "); expected an object such as " + example);
        }
        if (doc == null || !doc.isObject()) {
            throw new PgwardenException(ErrorCode.USAGE, "expected a JSON object such as " + example);
        }
        return doc;
    }

    /** Every field but {@code kind}, each a string. */
    private static Map<String, String> parameters(JsonNode doc) {
        Map<String, String> params = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = doc.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> f = it.next();
            if (f.getKey().equals("kind")) {
                continue;
            }
            if (!f.getValue().isTextual()) {
                throw new PgwardenException(ErrorCode.USAGE, "field '" + f.getKey() + "' must be a string");
            }
            params.put(f.getKey(), f.getValue().asText());
        }
        return params;
    }

    private static Response accepted(JobSubmitter.Accepted a, List<String> afterSuccess) {
        ObjectNode n = JSON.createObjectNode();
        n.put("id", a.runId());
        n.put("kind", a.kind());
        n.put("status", "queued");
        String location = "/api" + JOBS + "/" + a.runId();
        n.put("location", location);
        if (!afterSuccess.isEmpty()) {
            afterSuccess.forEach(n.putArray("after")::add);
        }
        return new Response(202, "application/json", write(n), Map.of("Location", location));
    }

    private Response jobs() {
        ObjectNode doc = JSON.createObjectNode();
        ArrayNode list = doc.putArray("jobs");
        // Finished runs first into the set, so a run that ends while this list is built shows once,
        // as finished; the memory is enough, the control database is not asked.
        List<JobOutcome> finished = runner.history().recent();
        Set<String> seen = new HashSet<>();
        finished.forEach(o -> seen.add(o.runId()));
        for (JobContext c : runner.running()) {
            if (seen.add(c.runId())) {
                list.add(active(c));
            }
        }
        for (JobContext c : runner.waiting()) {
            if (seen.add(c.runId())) {
                list.add(active(c));
            }
        }
        for (JobSubmitter.Accepted a : submitter.pending().values()) {
            if (seen.add(a.runId()) && runner.history().findRecent(a.runId()).isEmpty()) {
                list.add(queued(a));
            }
        }
        finished.forEach(o -> list.add(finished(o)));
        return Response.json(200, write(doc));
    }

    /** Longest a follower may ask {@code GET /api/v1/jobs/{id}} to wait for the run's end. */
    static final Duration MAX_WAIT = Duration.ofSeconds(20);

    /** The {@code wait} query parameter in milliseconds; zero when absent. */
    private static Duration waitParameter(String query) {
        if (query == null || query.isEmpty()) {
            return Duration.ZERO;
        }
        for (String pair : query.split("&")) {
            if (pair.startsWith("wait=")) {
                String v = pair.substring("wait=".length());
                if (!v.matches("[0-9]{1,6}") || Long.parseLong(v) > MAX_WAIT.toMillis()) {
                    throw new PgwardenException(ErrorCode.USAGE, "query parameter 'wait' is '" + v + "'; expected"
                            + " milliseconds from 0 to " + MAX_WAIT.toMillis());
                }
                return Duration.ofMillis(Long.parseLong(v));
            }
        }
        return Duration.ZERO;
    }

    private Response job(String id, Duration wait) {
        if (!id.matches("[A-Za-z0-9_-]{1,64}")) {
            return error(404, ErrorCode.USAGE, "no job run with that id");
        }
        Response now = job(id);
        if (wait.isZero() || now.status() != 200 || runner.history().findRecent(id).isPresent()) {
            return now;
        }
        // Known and not finished: answer at its end rather than leave the follower to poll for it.
        try {
            runner.history().awaitRecent(id, wait);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return job(id);
    }

    private Response job(String id) {
        // Looked for in the order a run moves through, and in the history once more at the end, so
        // a run finishing between two looks is still found; the control database is asked last,
        // only for runs this daemon does not know (older ones, or from before a restart).
        Optional<JobOutcome> done = runner.history().findRecent(id);
        if (done.isPresent()) {
            return Response.json(200, write(finished(done.get())));
        }
        for (List<JobContext> l : List.of(runner.running(), runner.waiting())) {
            for (JobContext c : l) {
                if (c.runId().equals(id)) {
                    return Response.json(200, write(active(c)));
                }
            }
        }
        JobSubmitter.Accepted a = submitter.pending().get(id);
        done = runner.history().findRecent(id);
        if (done.isPresent()) {
            return Response.json(200, write(finished(done.get())));
        }
        if (a != null) {
            return Response.json(200, write(queued(a)));
        }
        return runner.history().find(id).map(o -> Response.json(200, write(finished(o))))
                .orElseGet(() -> error(404, ErrorCode.USAGE, "no job run '" + id + "'"));
    }

    private static ObjectNode active(JobContext c) {
        ObjectNode n = JSON.createObjectNode();
        n.put("id", c.runId());
        n.put("kind", c.kind());
        n.put("trigger", c.trigger().label());
        n.put("status", c.started().isPresent() ? "running" : "waiting");
        n.put("acceptedAt", c.accepted().toString());
        n.put("start", c.started().map(Instant::toString).orElse(null));
        n.putNull("end");
        return n;
    }

    private static ObjectNode queued(JobSubmitter.Accepted a) {
        ObjectNode n = JSON.createObjectNode();
        n.put("id", a.runId());
        n.put("kind", a.kind());
        n.put("trigger", a.trigger().label());
        n.put("status", "queued");
        n.put("acceptedAt", a.at().toString());
        n.putNull("start");
        n.putNull("end");
        return n;
    }

    static ObjectNode finished(JobOutcome o) {
        ObjectNode n = JSON.createObjectNode();
        n.put("id", o.runId());
        n.put("kind", o.kind());
        n.put("trigger", o.trigger().label());
        n.put("status", o.status().label());
        n.put("start", o.start().toString());
        n.put("end", o.end().toString());
        n.put("durationSeconds", Duration.between(o.start(), o.end()).toMillis() / 1000.0);
        n.put("bytes", o.bytes());
        n.put("errorCode", o.errorCode().map(ErrorCode::id).orElse(null));
        n.put("message", o.message());
        return n;
    }

    private Response badRequest(String message) {
        return error(400, ErrorCode.USAGE, message);
    }

    private static Response notAllowed(String allowed) {
        return new Response(405, "application/json", "{\"error\":\"method not allowed; use " + allowed + "\"}",
                Map.of("Allow", allowed));
    }

    private Response error(int status, ErrorCode code, String message) {
        ObjectNode n = JSON.createObjectNode();
        n.put("error", message);
        n.put("code", code.id());
        if (status == 400 && message.contains("valid kinds")) {
            ArrayNode kinds = n.putArray("validKinds");
            submitter.kinds().forEach(kinds::add);
        }
        return Response.json(status, write(n));
    }

    private static String write(JsonNode n) {
        try {
            return JSON.writeValueAsString(n);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() throws Exception {
        resources.close();
    }
}
