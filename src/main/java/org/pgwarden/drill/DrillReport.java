package org.pgwarden.drill;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * What one drill found: which backup it restored to which target, how long each part took (the
 * RTO), which point recovery reached against the newest archived WAL (the recovery point), the
 * checks and the objectives. Stored as JSON in the repository under {@code drill/}, printed and
 * logged.
 *
 * @param error         why the drill stopped before its checks finished (id and message), if it did
 * @param reached       commit time of the last transaction recovery replayed; the backup's end when none was
 * @param reference     what the recovery point is measured against: the target time, else the time the
 *                      newest WAL the drill could reach was archived
 */
public record DrillReport(String runId, Instant started, Instant finished, Optional<String> backup, String target,
        Optional<String> error, Timings timings, long bytesRestored, Optional<Instant> reached,
        Optional<Instant> reference, List<Check> checks, Objectives objectives) {

    private static final ObjectMapper JSON = new ObjectMapper();

    public DrillReport {
        checks = List.copyOf(checks);
    }

    /** The parts of the RTO; a part the drill did not reach is zero. */
    public record Timings(Duration restore, Duration recovery, Duration checks, Duration total) {
        static final Timings NONE = new Timings(Duration.ZERO, Duration.ZERO, Duration.ZERO, Duration.ZERO);
    }

    /** One check: {@code amcheck:<db>}, {@code row-count:<db>.<table>} or {@code sql:<name>}. */
    public record Check(String name, boolean passed, String message) {
        static Check passed(String name, String message) {
            return new Check(name, true, message);
        }

        static Check failed(String name, String message) {
            return new Check(name, false, message);
        }
    }

    /** Configured objectives and whether this drill breached them; an objective not configured is never breached. */
    public record Objectives(Optional<Duration> rto, boolean rtoBreached, Optional<Duration> rpo, boolean rpoBreached) {
        public boolean breached() {
            return rtoBreached || rpoBreached;
        }
    }

    /** The restored copy recovered and every check passed. */
    public boolean passed() {
        return error.isEmpty() && checks.stream().allMatch(Check::passed);
    }

    public List<Check> failedChecks() {
        return checks.stream().filter(c -> !c.passed()).toList();
    }

    /** How far the reached point lies behind the reference; empty when either is unknown. Never negative. */
    public Optional<Duration> recoveryPointLag() {
        if (reached.isEmpty() || reference.isEmpty()) {
            return Optional.empty();
        }
        Duration d = Duration.between(reached.get(), reference.get());
        return Optional.of(d.isNegative() ? Duration.ZERO : d);
    }

    /** The report as stored in the repository. */
    public byte[] toJson() {
        ObjectNode n = JSON.createObjectNode();
        n.put("format", 1);
        n.put("runId", runId);
        n.put("started", started.toString());
        n.put("finished", finished.toString());
        n.put("passed", passed());
        backup.ifPresent(b -> n.put("backup", b));
        n.put("target", target);
        error.ifPresent(e -> n.put("error", e));
        ObjectNode rto = n.putObject("rtoSeconds");
        rto.put("restore", seconds(timings.restore()));
        rto.put("recovery", seconds(timings.recovery()));
        rto.put("checks", seconds(timings.checks()));
        rto.put("total", seconds(timings.total()));
        n.put("bytesRestored", bytesRestored);
        ObjectNode rp = n.putObject("recoveryPoint");
        reached.ifPresent(r -> rp.put("reached", r.toString()));
        reference.ifPresent(r -> rp.put("reference", r.toString()));
        recoveryPointLag().ifPresent(l -> rp.put("lagSeconds", seconds(l)));
        var cs = n.putArray("checks");
        for (Check c : checks) {
            cs.addObject().put("name", c.name()).put("passed", c.passed()).put("message", c.message());
        }
        ObjectNode ob = n.putObject("objectives");
        objectives.rto().ifPresent(d -> ob.putObject("rto").put("seconds", seconds(d))
                .put("breached", objectives.rtoBreached()));
        objectives.rpo().ifPresent(d -> ob.putObject("rpo").put("seconds", seconds(d))
                .put("breached", objectives.rpoBreached()));
        try {
            return JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(n);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Lines for the operator and the log: the verdict first, then times, recovery point, checks. */
    public List<String> lines() {
        List<String> out = new ArrayList<>();
        out.add((passed() ? (objectives.breached() ? "✔ drill passed but breached its objectives" : "✔ drill passed")
                : "✘ drill FAILED") + ": backup " + backup.orElse("(none chosen)") + ", recovery to " + target
                + ", run " + runId);
        error.ifPresent(e -> out.add("error: " + e));
        out.add("RTO: total " + seconds(timings.total()) + "s (restore " + seconds(timings.restore()) + "s, recovery "
                + seconds(timings.recovery()) + "s, checks " + seconds(timings.checks()) + "s); "
                + bytesRestored + " bytes restored");
        out.add("recovery point: reached " + reached.map(Instant::toString).orElse("unknown") + ", reference "
                + reference.map(Instant::toString).orElse("unknown") + ", lag "
                + recoveryPointLag().map(l -> seconds(l) + "s").orElse("unknown"));
        for (Check c : checks) {
            out.add((c.passed() ? "  ✔ " : "  ✘ ") + c.name() + ": " + c.message());
        }
        objectives.rto().ifPresent(d -> out.add("RTO objective " + seconds(d) + "s: "
                + (objectives.rtoBreached() ? "BREACHED" : "met")));
        objectives.rpo().ifPresent(d -> out.add("RPO objective " + seconds(d) + "s: "
                + (objectives.rpoBreached() ? "BREACHED" : "met")));
        return out;
    }

    static double seconds(Duration d) {
        return d.toMillis() / 1000.0;
    }
}
