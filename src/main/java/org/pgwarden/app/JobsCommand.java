package org.pgwarden.app;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.PrintWriter;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.pgwarden.common.ExitCode;
import org.pgwarden.config.PgwardenConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

@Command(name = "jobs", mixinStandardHelpOptions = true,
        description = {"Show the running daemon's jobs through its admin API: queued, waiting and running runs,",
            "then finished ones, newest first; or one run with its ID."})
final class JobsCommand implements Callable<Integer> {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    private final PgwardenCli root;

    @Parameters(arity = "0..1", paramLabel = "ID", description = "A run id, as printed by 'pgwarden trigger'.")
    String id;

    @Mixin
    OutputFormat format = new OutputFormat();

    JobsCommand(PgwardenCli root) {
        this.root = root;
    }

    @Override
    public Integer call() throws Exception {
        boolean json = format.json();
        PgwardenConfig config = root.loadConfig().config();
        AdminClient client = AdminClient.of(config.admin(),
                "see past runs in the logs (or the control database), and the backups with 'pgwarden info'");
        JsonNode doc = client.get(id == null ? "/api/v1/jobs" : "/api/v1/jobs/" + id);
        PrintWriter out = root.context().out();
        if (json) {
            out.println(JSON.writeValueAsString(doc));
        } else if (id != null) {
            doc.fields().forEachRemaining(f -> out.println(f.getKey() + ": " + (f.getValue().isNull() ? "-"
                    : f.getValue().asText())));
        } else {
            if (doc.path("jobs").isEmpty()) {
                out.println("no jobs yet");
                return ExitCode.OK;
            }
            out.println(row("ID", "KIND", "TRIGGER", "STATUS", "START", "SECONDS", "MESSAGE"));
            for (JsonNode j : doc.path("jobs")) {
                out.println(row(j.path("id").asText(), j.path("kind").asText(), j.path("trigger").asText(),
                        j.path("status").asText(), j.path("start").isNull() ? "-" : j.path("start").asText(),
                        j.has("durationSeconds")
                                ? String.format(Locale.ROOT, "%.1f", j.path("durationSeconds").asDouble()) : "-",
                        (j.path("errorCode").isTextual() ? "[" + j.path("errorCode").asText() + "] " : "")
                                + j.path("message").asText("")));
            }
        }
        return ExitCode.OK;
    }

    private static String row(String id, String kind, String trigger, String status, String start, String seconds,
            String message) {
        return String.format(Locale.ROOT, "%-22s %-14s %-9s %-10s %-30s %8s  %s", id, kind, trigger, status, start,
                seconds, message);
    }
}
