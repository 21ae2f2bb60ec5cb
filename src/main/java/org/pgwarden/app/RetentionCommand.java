package org.pgwarden.app;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintWriter;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import org.pgwarden.audit.ArchiveRestore;
import org.pgwarden.audit.AuditPreview;
import org.pgwarden.audit.AuditRetention;
import org.pgwarden.audit.AuditRetentionJob;
import org.pgwarden.common.ByteSize;
import org.pgwarden.common.ErrorCode;
import org.pgwarden.common.ExitCode;
import org.pgwarden.common.PgwardenException;
import org.pgwarden.config.AuditRetentionConfig.Table;
import org.pgwarden.config.PgwardenConfig;
import org.pgwarden.job.JobContext;
import org.pgwarden.job.JobOutcome;
import org.pgwarden.job.JobRunner;
import org.pgwarden.job.JobTrigger;
import org.pgwarden.metrics.Metrics;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code pgwarden retention}: audit retention ({@code audit-retention:} in the configuration) run
 * by hand, its dry run, and {@code retention restore} for bringing archived rows back. Backup
 * retention is {@code pgwarden expire}.
 */
@Command(name = "retention", mixinStandardHelpOptions = true,
        description = {"Audit retention ('audit-retention:'): archive rows older than each table's keep period to the",
            "repository, verify the archive, then delete them in batches (or drop whole partitions).",
            "--dry-run prints per table the cutoff, the rows or partitions affected and the estimated",
            "archive size, and changes nothing. Backups are expired by 'pgwarden expire', not this."})
final class RetentionCommand implements Callable<Integer> {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    private final PgwardenCli root;

    @Option(names = "--table", paramLabel = "SCHEMA.TABLE", description = "Only this configured table (default: all).")
    String table;

    @Option(names = "--dry-run", description = "Print what a run would do; change nothing.")
    boolean dryRun;

    @Mixin
    OutputFormat format = new OutputFormat();

    RetentionCommand(PgwardenCli root) {
        this.root = root;
    }

    @Override
    public Integer call() throws Exception {
        boolean json = format.json();
        PgwardenConfig config = root.loadConfig().config();
        LoggingSetup.apply(config.logging());
        PrintWriter out = root.context().out();
        try (Components components = Components.open(config, root.context().environment(), Metrics.noop())) {
            RepositoryAccess repo = RepositoryAccess.open(config, components, root.context().clock());
            AuditRetention retention = AuditWiring.retention(config, components, repo, Metrics.noop());
            Optional<String> only = Optional.ofNullable(table);
            if (dryRun) {
                List<Table> tables = only.map(t -> List.of(retention.table(t))).orElse(config.auditRetention().tables());
                List<AuditPreview.TablePreview> p = new AuditPreview(retention).preview(tables,
                        JobContext.standalone("retention", AuditRetentionJob.KIND, root.context().clock()));
                print(previewDocument(p), json, out);
                return ExitCode.OK;
            }
            // Like a scheduled run: through the job boundary, for its lock, log line and run id.
            AuditRetentionJob job = new AuditRetentionJob(retention, only);
            JobOutcome outcome = new JobRunner(config.stanza(), root.context().clock(), Metrics.noop())
                    .run(job, JobTrigger.CLI);
            if (!outcome.succeeded()) {
                throw new PgwardenException(outcome.errorCode().orElse(ErrorCode.JOB_FAILED), outcome.message());
            }
            print(runDocument(job.results()), json, out);
            return ExitCode.OK;
        }
    }

    static ObjectNode previewDocument(List<AuditPreview.TablePreview> previews) {
        ObjectNode doc = JSON.createObjectNode();
        doc.put("formatVersion", 1);
        doc.put("dryRun", true);
        ArrayNode tables = doc.putArray("tables");
        for (AuditPreview.TablePreview p : previews) {
            ObjectNode n = tables.addObject().put("table", p.table()).put("database", p.database())
                    .put("mode", p.mode()).put("archive", p.archive()).put("legalHold", p.legalHold())
                    .put("cutoff", p.cutoff().toString()).put("rows", p.rows())
                    .put("estimatedArchiveBytes", p.estimatedArchiveBytes());
            if (p.mode().equals("partitions")) {
                ArrayNode parts = n.putArray("partitions");
                p.partitions().forEach(x -> parts.addObject().put("partition", x.partition()).put("rows", x.rows())
                        .put("bytes", x.bytes()));
            }
        }
        return doc;
    }

    static ObjectNode runDocument(List<AuditRetention.TableResult> results) {
        ObjectNode doc = JSON.createObjectNode();
        doc.put("formatVersion", 1);
        doc.put("dryRun", false);
        ArrayNode tables = doc.putArray("tables");
        for (AuditRetention.TableResult r : results) {
            ObjectNode n = tables.addObject().put("table", r.table()).put("outcome", r.outcome())
                    .put("rowsArchived", r.rowsArchived()).put("rowsDeleted", r.rowsDeleted())
                    .put("archiveBytes", r.archiveBytes()).put("batches", r.batches())
                    .put("partitionsDropped", r.partitionsDropped()).put("reconciled", r.reconciled());
            r.stoppedEarly().ifPresent(s -> n.put("stoppedEarly", s));
        }
        return doc;
    }

    private static void print(ObjectNode doc, boolean json, PrintWriter out) throws Exception {
        if (json) {
            out.println(JSON.writeValueAsString(doc));
            return;
        }
        boolean dry = doc.get("dryRun").asBoolean();
        if (doc.get("tables").isEmpty()) {
            out.println("no audit-retention tables configured");
        }
        doc.get("tables").forEach(t -> {
            if (dry) {
                out.println(t.get("table").asText() + " (database " + t.get("database").asText() + ", "
                        + t.get("mode").asText() + "): cutoff " + t.get("cutoff").asText() + "; "
                        + (t.get("legalHold").asBoolean() ? "LEGAL HOLD, nothing would be touched; " : "")
                        + "would remove " + t.get("rows").asLong() + " rows"
                        + (t.has("partitions") ? " in " + t.get("partitions").size() + " partition(s)" : "")
                        + (t.get("archive").asBoolean() ? ", archive about "
                        + ByteSize.ofBytes(t.get("estimatedArchiveBytes").asLong()).toHuman() + " before compression"
                        : ", WITHOUT archive (archive: false)"));
                if (t.has("partitions")) {
                    t.get("partitions").forEach(p -> out.println("  partition " + p.get("partition").asText() + ": "
                            + p.get("rows").asLong() + " rows, " + ByteSize.ofBytes(p.get("bytes").asLong()).toHuman()));
                }
            } else {
                out.println(t.get("table").asText() + ": " + t.get("outcome").asText() + ", "
                        + t.get("rowsDeleted").asLong() + " rows deleted, " + t.get("rowsArchived").asLong()
                        + " archived (" + ByteSize.ofBytes(t.get("archiveBytes").asLong()).toHuman() + " stored), "
                        + t.get("batches").asInt() + " batch(es), " + t.get("partitionsDropped").asInt()
                        + " partition(s) dropped" + (t.has("stoppedEarly") ? "; stopped: "
                        + t.get("stoppedEarly").asText() : ""));
            }
        });
    }

    @Command(name = "restore", mixinStandardHelpOptions = true,
            description = {"Load archived rows of an audit-retention table back: every archive whose rows were",
                "deleted and that holds rows in [--from, --to) is read from the repository, checked against",
                "its manifest, and those rows are inserted (one transaction) into --into, or the table itself."})
    static final class Restore implements Callable<Integer> {
        private final PgwardenCli root;

        @Option(names = "--table", required = true, paramLabel = "SCHEMA.TABLE", description = "The configured table.")
        String table;

        @Option(names = "--from", required = true, paramLabel = "TIME", description = "Oldest row time, inclusive (ISO-8601).")
        String from;

        @Option(names = "--to", required = true, paramLabel = "TIME", description = "Newest row time, exclusive (ISO-8601).")
        String to;

        @Option(names = "--into", paramLabel = "SCHEMA.TABLE",
                description = "Load into this table, created like the audited one when missing (default: the audited table).")
        String into;

        @Mixin
        OutputFormat format = new OutputFormat();

        Restore(PgwardenCli root) {
            this.root = root;
        }

        @Override
        public Integer call() {
            boolean json = format.json();
            Instant f = time("--from", from);
            Instant t = time("--to", to);
            PgwardenConfig config = root.loadConfig().config();
            LoggingSetup.apply(config.logging());
            try (Components components = Components.open(config, root.context().environment(), Metrics.noop())) {
                RepositoryAccess repo = RepositoryAccess.open(config, components, root.context().clock());
                AuditRetention retention = AuditWiring.retention(config, components, repo, Metrics.noop());
                ArchiveRestore.Result r = new ArchiveRestore(retention).restore(table, f, t, Optional.ofNullable(into));
                PrintWriter out = root.context().out();
                if (json) {
                    out.println("{\"table\":\"" + r.table() + "\",\"into\":\"" + r.into() + "\",\"archives\":"
                            + r.archives() + ",\"rows\":" + r.rows() + "}");
                } else {
                    out.println("restored " + r.rows() + " rows of " + r.table() + " from " + r.archives()
                            + " archive(s) into " + r.into());
                }
                return ExitCode.OK;
            }
        }

        private static Instant time(String option, String text) {
            try {
                return Instant.parse(text);
            } catch (DateTimeParseException e) {
                throw new PgwardenException(ErrorCode.USAGE, option + " '" + text
                        + "' is not an ISO-8601 time such as 2026-01-31T00:00:00Z");
            }
        }
    }

    /** {@code pgwarden trigger audit-retention}: the same run, started in the daemon through its admin API. */
    @Command(name = "audit-retention", mixinStandardHelpOptions = true,
            description = "Start audit retention (all tables, or one) in the daemon.")
    static final class Trigger extends TriggerCommand.Kind {
        @Option(names = "--table", paramLabel = "SCHEMA.TABLE", description = "Only this configured table (default: all).")
        String table;

        Trigger(PgwardenCli root) {
            super(root);
        }

        @Override
        ObjectNode request() {
            ObjectNode n = JSON.createObjectNode().put("kind", AuditRetentionJob.KIND);
            if (table != null) {
                n.put("table", table);
            }
            return n;
        }

        @Override
        String direct() {
            return "pgwarden retention" + (table == null ? "" : " --table " + table);
        }
    }
}
