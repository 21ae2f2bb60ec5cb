package org.pgwarden.app.check;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * The daemon's last view of its dependencies, refreshed by the health-check job and read by
 * {@code /health/ready} without touching any dependency itself.
 */
public final class Readiness {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Supplier<String> state;
    private final Supplier<Optional<Paused>> paused;
    private volatile List<CheckResult> last = List.of();
    private volatile Instant checkedAt;

    /** @param state the daemon's lifecycle state, shown in the body */
    public Readiness(Supplier<String> state) {
        this(state, Optional::empty);
    }

    /** @param paused the pause in force, shown in the body; a paused daemon is still ready */
    public Readiness(Supplier<String> state, Supplier<Optional<Paused>> paused) {
        this.state = state;
        this.paused = paused;
    }

    /** A pause in force ({@code pgwarden pause}): new jobs are skipped, the daemon still serves. */
    public record Paused(String reason, Instant since, String by) {
    }

    public void update(List<CheckResult> results, Instant at) {
        this.last = List.copyOf(results);
        this.checkedAt = at;
    }

    /** Ready: running, checked at least once, and no check failing (warnings do not count). */
    public boolean ready() {
        return "running".equals(state.get()) && checkedAt != null && last.stream().noneMatch(CheckResult::failed);
    }

    public List<CheckResult> last() {
        return last;
    }

    /** The JSON body of {@code /health/ready}; names each failing check and why. */
    public String toJson() {
        ObjectNode root = JSON.createObjectNode();
        root.put("ready", ready());
        root.put("state", state.get());
        root.put("checkedAt", checkedAt == null ? null : checkedAt.toString());
        Optional<Paused> p = paused.get();
        root.put("paused", p.isPresent());
        p.ifPresent(x -> root.putObject("pause").put("reason", x.reason()).put("since", x.since().toString())
                .put("by", x.by()));
        ArrayNode checks = root.putArray("checks");
        ObjectNode config = checks.addObject();
        config.put("dependency", "config").put("name", "configuration loaded").put("status", "ok");
        for (CheckResult r : last) {
            ObjectNode c = checks.addObject();
            c.put("dependency", r.dependency());
            c.put("name", r.name());
            c.put("status", r.status().name().toLowerCase(java.util.Locale.ROOT));
            c.put("detail", r.detail());
            r.hint().ifPresent(h -> c.put("hint", h));
            r.errorCode().ifPresent(e -> c.put("code", e.id()));
        }
        if (checkedAt == null) {
            root.put("reason", "dependencies not checked yet");
        }
        return root.toString();
    }
}
