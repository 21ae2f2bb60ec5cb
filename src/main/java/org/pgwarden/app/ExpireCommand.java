package org.pgwarden.app;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintWriter;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Callable;
import org.pgwarden.common.ByteSize;
import org.pgwarden.common.ErrorCode;
import org.pgwarden.common.ExitCode;
import org.pgwarden.common.PgwardenException;
import org.pgwarden.config.PgwardenConfig;
import org.pgwarden.config.RepositoryConfig;
import org.pgwarden.config.RetentionConfig;
import org.pgwarden.job.JobContext;
import org.pgwarden.job.JobOutcome;
import org.pgwarden.job.JobRunner;
import org.pgwarden.job.JobTrigger;
import org.pgwarden.metrics.Metrics;
import org.pgwarden.retention.Expire;
import org.pgwarden.retention.ExpireJob;
import org.pgwarden.retention.ExpirePlan;
import org.pgwarden.retention.RetentionPolicy;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "expire", mixinStandardHelpOptions = true,
        description = {"Delete what the retention policy ('retention:') no longer keeps: backups,",
            "interrupted backups and WAL. Prints what goes and why the rest is kept.",
            "Takes the repository lock, plans again under it, and deletes manifests",
            "first, then the backups' objects, then WAL. --dry-run only prints the plan."})
final class ExpireCommand implements Callable<Integer> {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    private final PgwardenCli root;

    @Option(names = "--dry-run", description = "Print the plan; delete nothing.")
    boolean dryRun;

    @Mixin
    OutputFormat format = new OutputFormat();

    ExpireCommand(PgwardenCli root) {
        this.root = root;
    }

    @Override
    public Integer call() throws Exception {
        boolean json = format.json();
        PgwardenConfig config = root.loadConfig().config();
        LoggingSetup.apply(config.logging());
        try (Components components = Components.open(config, root.context().environment(), Metrics.noop())) {
            RepositoryAccess repo = RepositoryAccess.open(config, components, root.context().clock());
            Expire expire = expire(config, repo, root.context().clock(), Metrics.noop());
            ObjectNode doc;
            if (dryRun) {
                doc = document(expire.plan(JobContext.standalone("expire", ExpireJob.KIND, root.context().clock())),
                        true);
            } else {
                // Like a scheduled run: through the job boundary, for its log line and run id.
                ExpireJob job = new ExpireJob(expire);
                JobOutcome outcome = new JobRunner(config.stanza(), root.context().clock(), Metrics.noop())
                        .run(job, JobTrigger.CLI);
                if (!outcome.succeeded()) {
                    throw new PgwardenException(outcome.errorCode().orElse(ErrorCode.JOB_FAILED), outcome.message());
                }
                doc = document(job.result().plan(), false);
            }
            PrintWriter out = root.context().out();
            if (json) {
                out.println(JSON.writeValueAsString(doc));
            } else {
                printText(doc, out);
            }
            return ExitCode.OK;
        }
    }

    /** Expire as configured, as a job for the scheduler and the admin API. */
    static ExpireJob job(PgwardenConfig config, RepositoryAccess repo, Clock clock, Metrics metrics) {
        return new ExpireJob(expire(config, repo, clock, metrics));
    }

    /** Expire as configured. */
    static Expire expire(PgwardenConfig config, RepositoryAccess repo, Clock clock, Metrics metrics) {
        return new Expire(repo.store(), repo.objects(), policy(config.retention()),
                objectLockRetention(config.repository()), clock, metrics);
    }

    static RetentionPolicy policy(RetentionConfig c) {
        return new RetentionPolicy(c.fullCount(), c.fullDays(), c.diff().count(), c.incr().count());
    }

    /** Objects written under an S3 object lock are retained this long after they were written. */
    static Optional<Duration> objectLockRetention(RepositoryConfig c) {
        return c instanceof RepositoryConfig.S3 s3
                ? s3.objectLock().map(l -> Duration.ofDays(l.days()))
                : Optional.empty();
    }

    /** The plan as JSON; the text form is printed from it, so both always say the same. */
    static ObjectNode document(ExpirePlan plan, boolean dryRun) {
        ObjectNode doc = JSON.createObjectNode();
        doc.put("formatVersion", 1);
        doc.put("dryRun", dryRun);
        doc.put("time", plan.now().toString());
        ArrayNode expired = doc.putArray("expired");
        plan.expired().forEach(e -> expired.addObject().put("label", e.label().toString())
                .put("stopTime", e.stopTime().toString()).put("bytes", e.bytes()));
        ArrayNode kept = doc.putArray("kept");
        plan.kept().forEach(k -> {
            ObjectNode n = kept.addObject().put("label", k.label().toString());
            ArrayNode reasons = n.putArray("reasons");
            k.reasons().forEach(reasons::add);
        });
        ArrayNode unfinished = doc.putArray("interrupted");
        plan.unfinished().forEach(l -> unfinished.add(l.toString()));
        ArrayNode wal = doc.putArray("wal");
        plan.walRanges().forEach(r -> wal.addObject().put("timeline", r.timeline()).put("first", r.first().toString())
                .put("last", r.last().toString()).put("files", r.count()).put("bytes", r.bytes()));
        ArrayNode locked = doc.putArray("objectLocked");
        plan.lockedObjects().forEach(o -> locked.addObject().put("key", o.key().value())
                .put("retainUntil", o.retainUntil().map(Object::toString).orElse(null)));
        doc.put("objects", plan.objectCount());
        doc.put("bytesFreed", plan.bytesFreed());
        return doc;
    }

    private static void printText(ObjectNode doc, PrintWriter out) {
        boolean dry = doc.get("dryRun").asBoolean();
        String verb = dry ? "would delete" : "deleted";
        out.println((dry ? "expire plan (dry run, nothing deleted)" : "expire") + " at " + doc.get("time").asText());
        if (doc.get("expired").isEmpty()) {
            out.println("backups: none " + (dry ? "to delete" : "deleted"));
        }
        doc.get("expired").forEach(e -> out.println("  " + verb + " backup " + e.get("label").asText() + " ("
                + human(e.get("bytes").asLong()) + ")"));
        doc.get("interrupted").forEach(l -> out.println("  " + verb + " interrupted backup " + l.asText()));
        doc.get("wal").forEach(w -> out.println("  " + verb + " WAL of timeline " + w.get("timeline").asInt() + ": "
                + w.get("first").asText() + " .. " + w.get("last").asText() + " (" + w.get("files").asLong()
                + " files, " + human(w.get("bytes").asLong()) + ")"));
        doc.get("kept").forEach(k -> {
            StringBuilder reasons = new StringBuilder();
            k.get("reasons").forEach(r -> reasons.append(reasons.length() == 0 ? "" : "; ").append(r.asText()));
            out.println("  keep backup " + k.get("label").asText() + ": " + reasons);
        });
        doc.get("objectLocked").forEach(o -> out.println("  left in place (object lock until "
                + o.get("retainUntil").asText() + "): " + o.get("key").asText()));
        out.println((dry ? "would free " : "freed ") + human(doc.get("bytesFreed").asLong()) + " in "
                + doc.get("objects").asLong() + " object(s)");
    }

    private static String human(long bytes) {
        return ByteSize.ofBytes(bytes).toHuman();
    }
}
