package org.pgwarden.app;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import org.pgwarden.backup.Backup;
import org.pgwarden.common.ExitCode;
import org.pgwarden.common.PgwardenException;
import org.pgwarden.config.PgwardenConfig;
import org.pgwarden.drill.DrillReports;
import org.pgwarden.maintenance.WindowReports;
import org.pgwarden.metrics.Metrics;
import org.pgwarden.repo.BackupCatalog;
import org.pgwarden.repo.BackupInfo;
import org.pgwarden.repo.BackupLabel;
import org.pgwarden.repo.StanzaInfo;
import org.pgwarden.repo.StanzaStore;
import org.pgwarden.repo.WalArchiveIndex;
import org.pgwarden.repo.WalRanges;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

@Command(name = "info", mixinStandardHelpOptions = true,
        description = {"Show the repository: stanza, backups (oldest first), archived WAL per timeline and gaps.",
            "Reads only the repository: works on a fresh host with nothing but the configuration and key.",
            "--output json is stable and documented in the README."})
final class InfoCommand implements Callable<Integer> {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    private final PgwardenCli root;

    @Mixin
    OutputFormat format = new OutputFormat();

    InfoCommand(PgwardenCli root) {
        this.root = root;
    }

    @Override
    public Integer call() throws Exception {
        boolean json = format.json();
        PgwardenConfig config = root.loadConfig().config();
        LoggingSetup.apply(config.logging());
        try (Components components = Components.open(config, root.context().environment(), Metrics.noop())) {
            ObjectNode doc = collect(config.stanza(), RepositoryAccess.open(config, components, root.context().clock()));
            PrintWriter out = root.context().out();
            if (json) {
                out.println(JSON.writeValueAsString(doc));
            } else {
                printText(doc, out);
            }
            return ExitCode.OK;
        }
    }

    /** The JSON document of {@code --output json}, read from the repository; the admin API serves the same. */
    static ObjectNode collect(String name, RepositoryAccess repo) {
        Optional<StanzaInfo> stanza = new StanzaStore(repo.store(), repo.objects()).find();
        BackupCatalog catalog = new BackupCatalog(repo.store(), repo.objects());
        List<BackupInfo> backups = stanza.isPresent() ? catalog.list() : List.of();
        List<BackupLabel> interrupted = stanza.isPresent() ? catalog.interrupted() : List.of();
        WalRanges wal = stanza.map(s -> WalRanges.scan(new WalArchiveIndex(repo.store()), s.walSegmentSize()))
                .orElse(WalRanges.empty());
        ObjectNode doc = document(name, repo.store().describe(), stanza, backups, interrupted, wal);
        if (stanza.isPresent()) {
            addLastDrill(doc, repo);
            doc.set("maintenance", WindowReports.latest(repo.store(), repo.objects()));
        }
        return doc;
    }

    /**
     * {@code lastDrill}: the newest drill report as stored (see the README's drill section), or
     * {@code null} when no drill ran. An unreadable report is named, not fatal: the backups are
     * what {@code info} is for.
     */
    private static void addLastDrill(ObjectNode doc, RepositoryAccess repo) {
        try {
            doc.set("lastDrill", new DrillReports(repo.store(), repo.objects()).newest().orElse(null));
        } catch (RuntimeException e) {
            PgwardenException p = PgwardenException.of(e);
            doc.putNull("lastDrill");
            doc.put("lastDrillError", "[" + p.errorCode().id() + "] " + p.getMessage());
        }
    }

    static ObjectNode document(String name, String where, Optional<StanzaInfo> stanza, List<BackupInfo> backups,
            List<BackupLabel> interrupted, WalRanges wal) {
        ObjectNode doc = JSON.createObjectNode();
        doc.put("formatVersion", 1);
        doc.put("stanza", name);
        doc.put("repository", where);
        doc.put("status", stanza.isPresent() ? "ok" : "missing");
        stanza.ifPresent(s -> {
            doc.put("systemIdentifier", Long.toUnsignedString(s.systemIdentifier()));
            doc.put("pgVersion", s.pgMajor());
            doc.put("walSegmentSize", s.walSegmentSize());
        });
        ArrayNode list = doc.putArray("backups");
        for (BackupInfo b : backups) {
            var h = b.header();
            ObjectNode n = list.addObject();
            n.put("label", h.label().toString());
            n.put("type", h.type().name().toLowerCase());
            n.put("parent", h.parent().map(BackupLabel::toString).orElse(null));
            n.put("startTime", h.startTime().toString());
            n.put("stopTime", h.stopTime().toString());
            n.put("durationSeconds", Duration.between(h.startTime(), h.stopTime()).toMillis() / 1000.0);
            n.put("startLsn", h.startLsn());
            n.put("stopLsn", h.stopLsn());
            n.put("timeline", h.timeline());
            n.put("databaseSize", b.footer().totalSize());
            n.put("storedSize", b.storedBytes());
            n.put("reusedSize", b.footer().reusedBytes());
            n.put("pageChecksumErrors", b.footer().invalidPageCount());
            ObjectNode notes = n.putObject("annotations");
            h.annotations().forEach(notes::put);
            Optional<String> problem = wal.missingFor(h.timeline(), h.startLsn(), h.stopLsn());
            n.put("usable", problem.isEmpty());
            problem.ifPresent(p -> n.put("unusableReason", p));
        }
        ArrayNode broken = doc.putArray("interrupted");
        interrupted.forEach(l -> broken.add(l.toString()));
        doc.set("wal", wal.toJson(JSON));
        return doc;
    }

    private static void printText(ObjectNode doc, PrintWriter out) {
        out.println("stanza: " + doc.get("stanza").asText() + " (" + doc.get("repository").asText() + ")");
        if (doc.get("status").asText().equals("missing")) {
            out.println("  status: no stanza in this repository; run 'pgwarden stanza-create'");
            return;
        }
        out.println("  system identifier " + doc.get("systemIdentifier").asText() + ", PostgreSQL "
                + doc.get("pgVersion").asInt());
        if (doc.get("backups").isEmpty()) {
            out.println("  no backups");
        }
        for (var b : doc.get("backups")) {
            out.println("  " + b.get("type").asText() + " backup " + b.get("label").asText()
                    + (b.get("usable").asBoolean() ? "" : "  ✘ NOT USABLE: " + b.get("unusableReason").asText()));
            if (!b.get("parent").isNull()) {
                out.println("    parent: " + b.get("parent").asText());
            }
            out.println("    time: " + b.get("startTime").asText() + " → " + b.get("stopTime").asText() + " ("
                    + Math.round(b.get("durationSeconds").asDouble()) + "s)");
            out.println("    wal: " + b.get("startLsn").asText() + " → " + b.get("stopLsn").asText() + ", timeline "
                    + b.get("timeline").asInt());
            out.println("    size: database " + Backup.human(b.get("databaseSize").asLong()) + ", stored "
                    + Backup.human(b.get("storedSize").asLong()) + ", reused " + Backup.human(b.get("reusedSize").asLong()));
            if (b.get("pageChecksumErrors").asLong() > 0) {
                out.println("    ✘ page checksum errors: " + b.get("pageChecksumErrors").asLong());
            }
            b.get("annotations").fields().forEachRemaining(e -> out.println("    annotation " + e.getKey() + "="
                    + e.getValue().asText()));
        }
        for (var l : doc.get("interrupted")) {
            out.println("  interrupted (not usable, removed by the next backup): " + l.asText());
        }
        for (var t : doc.get("wal")) {
            out.println("  wal timeline " + t.get("timeline").asInt() + ": " + t.get("first").asText() + " → "
                    + t.get("last").asText() + (t.get("gaps").isEmpty() ? "" : ", gaps: " + t.get("gaps")));
        }
        printLastDrill(doc, out);
        printMaintenance(doc, out);
    }

    private static void printLastDrill(ObjectNode doc, PrintWriter out) {
        if (doc.hasNonNull("lastDrillError")) {
            out.println("  last drill: unreadable: " + doc.get("lastDrillError").asText());
            return;
        }
        JsonNode d = doc.path("lastDrill");
        if (d.isMissingNode() || d.isNull()) {
            out.println("  last drill: none ('pgwarden drill' proves a backup restores)");
            return;
        }
        boolean breached = false;
        for (JsonNode o : d.path("objectives")) {
            breached |= o.path("breached").asBoolean(false);
        }
        String verdict = !d.path("passed").asBoolean(false) ? "✘ FAILED" : breached ? "✔ passed, objectives BREACHED"
                : "✔ passed";
        out.println("  last drill: " + verdict + " at " + d.path("finished").asText() + ", backup "
                + d.path("backup").asText("(none chosen)") + " to " + d.path("target").asText() + ", RTO "
                + d.path("rtoSeconds").path("total").asDouble() + "s, recovery point lag "
                + (d.path("recoveryPoint").has("lagSeconds") ? d.path("recoveryPoint").get("lagSeconds").asDouble() + "s"
                        : "unknown"));
        if (d.hasNonNull("error")) {
            out.println("    error: " + d.get("error").asText());
        }
        for (JsonNode c : d.path("checks")) {
            if (!c.path("passed").asBoolean(true)) {
                out.println("    ✘ " + c.path("name").asText() + ": " + c.path("message").asText());
            }
        }
    }

    /** The newest run of each maintenance window. */
    private static void printMaintenance(ObjectNode doc, PrintWriter out) {
        for (var m : doc.path("maintenance")) {
            out.println("  maintenance window " + m.get("window").asText() + ": " + (m.has("error")
                    ? "✘ " + m.get("error").asText()
                    : "last run " + m.path("runId").asText() + " " + m.path("outcome").asText() + " at "
                            + m.path("finished").asText() + ": " + m.path("counts").path("done").asLong() + " done, "
                            + m.path("counts").path("skipped").asLong() + " skipped, "
                            + m.path("counts").path("deferred").asLong() + " deferred, "
                            + m.path("counts").path("failed").asLong() + " failed, "
                            + Backup.human(m.path("reclaimedBytes").asLong()) + " reclaimed"
                            + (m.has("stopReason") ? "; stopped: " + m.get("stopReason").asText() : "")));
        }
    }
}
