package org.pgwarden.maintenance;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.pgwarden.common.ByteSize;

/**
 * What one window did: every planned item with its result, bytes reclaimed and duration, and the
 * findings. Stored as JSON in the repository under {@code maintenance/<window>/}, printed and
 * logged.
 *
 * @param deadline   when the window closed (start + duration)
 * @param stopReason why items were deferred (window end, a guard, cancellation), if any were
 */
public record WindowReport(String runId, String window, Instant started, Instant finished, Instant deadline,
        List<ItemResult> results, List<Plan.Finding> findings, Optional<String> stopReason) {

    private static final ObjectMapper JSON = new ObjectMapper();

    public WindowReport {
        results = List.copyOf(results);
        findings = List.copyOf(findings);
    }

    /** How an item ended. */
    public enum Result {
        /** The statement completed. */
        DONE,
        /** Not run or given up: lock timeout, cancelled at the window end, table gone. */
        SKIPPED,
        /** Not reached: the window closed, a guard held until its end, or the run was cancelled. */
        DEFERRED,
        /** The statement failed with an error. */
        FAILED;

        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /**
     * @param bytesBefore size of the relation (table with indexes and TOAST, or the index) before
     * @param bytesAfter  and after; equal to before for items that did not run
     */
    public record ItemResult(Plan.Item item, Result result, String detail, long bytesBefore, long bytesAfter,
            Duration duration) {
        public long reclaimed() {
            return Math.max(0, bytesBefore - bytesAfter);
        }
    }

    /** The window's outcome label: {@code completed}, {@code deferred} (work left) or {@code failed}. */
    public String outcome() {
        if (count(Result.FAILED) > 0) {
            return "failed";
        }
        return count(Result.DEFERRED) > 0 || results.stream().anyMatch(r -> r.result() == Result.SKIPPED
                && r.detail().startsWith(Executor.WINDOW_END)) ? "deferred" : "completed";
    }

    public long count(Result r) {
        return results.stream().filter(x -> x.result() == r).count();
    }

    public long reclaimed() {
        return results.stream().mapToLong(ItemResult::reclaimed).sum();
    }

    public String summary() {
        return "window '" + window + "' " + outcome() + ": " + count(Result.DONE) + " done, " + count(Result.SKIPPED)
                + " skipped, " + count(Result.DEFERRED) + " deferred, " + count(Result.FAILED) + " failed; "
                + ByteSize.ofBytes(reclaimed()).toHuman() + " reclaimed in " + seconds(Duration.between(started,
                finished)) + "s" + stopReason.map(r -> "; stopped: " + r).orElse("");
    }

    /** The summary, then one line per item, then the findings. */
    public List<String> lines() {
        List<String> out = new ArrayList<>();
        out.add(summary());
        for (ItemResult r : results) {
            Plan.Item i = r.item();
            out.add("  " + i.rank() + ". " + r.result().label() + " " + i.describeAction() + " " + i.database() + " "
                    + i.target() + " (" + i.reason() + ")" + (r.detail().isEmpty() ? "" : ": " + r.detail())
                    + (r.result() == Result.DONE ? "; " + seconds(r.duration()) + "s, "
                            + ByteSize.ofBytes(r.bytesBefore()).toHuman() + " → "
                            + ByteSize.ofBytes(r.bytesAfter()).toHuman() : ""));
        }
        for (Plan.Finding f : findings) {
            out.add("  " + f.kind() + ": " + f.database() + " " + f.target() + " on " + f.table() + " ("
                    + ByteSize.ofBytes(f.bytes()).toHuman() + "): " + f.detail());
        }
        return out;
    }

    /** The report as stored in the repository. */
    public byte[] toJson() {
        ObjectNode n = JSON.createObjectNode();
        n.put("format", 1);
        n.put("runId", runId);
        n.put("window", window);
        n.put("started", started.toString());
        n.put("finished", finished.toString());
        n.put("deadline", deadline.toString());
        n.put("outcome", outcome());
        stopReason.ifPresent(r -> n.put("stopReason", r));
        ObjectNode counts = n.putObject("counts");
        for (Result r : Result.values()) {
            counts.put(r.label(), count(r));
        }
        n.put("reclaimedBytes", reclaimed());
        ArrayNode items = n.putArray("items");
        for (ItemResult r : results) {
            Plan.item(items.addObject(), r.item()).put("result", r.result().label()).put("detail", r.detail())
                    .put("bytesBefore", r.bytesBefore()).put("bytesAfter", r.bytesAfter())
                    .put("seconds", seconds(r.duration()));
        }
        Plan.findings(n.putArray("findings"), findings);
        try {
            return JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(n);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    static double seconds(Duration d) {
        return d.toMillis() / 1000.0;
    }
}
