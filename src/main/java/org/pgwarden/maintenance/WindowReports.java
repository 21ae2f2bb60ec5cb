package org.pgwarden.maintenance;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.InputStream;
import java.util.Map;
import java.util.TreeMap;
import org.pgwarden.repo.RepositoryLayout;
import org.pgwarden.repo.SealedObjects;
import org.pgwarden.storage.ObjectInfo;
import org.pgwarden.storage.ObjectStore;

/** The stored window reports, for {@code pgwarden info}: the newest of each window, summarized. */
public final class WindowReports {
    private static final ObjectMapper JSON = new ObjectMapper();

    private WindowReports() {
    }

    /**
     * One summary per window that has a report, by window name: run id, times, outcome, counts,
     * bytes reclaimed and why work was deferred; {@code error} instead when the report is unreadable.
     */
    public static ArrayNode latest(ObjectStore store, SealedObjects objects) {
        Map<String, ObjectInfo> newest = new TreeMap<>();
        try (var keys = store.list(RepositoryLayout.MAINTENANCE_PREFIX)) {
            keys.forEach(o -> {
                String[] parts = o.key().value().split("/");
                if (parts.length == 3 && parts[2].endsWith(".json")) {
                    // Keys end in the start time, so the greatest key is the newest run.
                    newest.merge(parts[1], o, (a, b) -> a.key().value().compareTo(b.key().value()) >= 0 ? a : b);
                }
            });
        }
        ArrayNode out = JSON.createArrayNode();
        newest.forEach((window, info) -> {
            ObjectNode n = out.addObject().put("window", window).put("report", info.key().value());
            try (InputStream in = objects.open(info.key())) {
                JsonNode r = JSON.readTree(in);
                for (String f : new String[]{"runId", "started", "finished", "outcome", "stopReason"}) {
                    if (r.hasNonNull(f)) {
                        n.put(f, r.get(f).asText());
                    }
                }
                n.set("counts", r.get("counts"));
                n.put("reclaimedBytes", r.path("reclaimedBytes").asLong());
            } catch (Exception e) {
                n.put("error", "unable to read the report: " + e.getMessage());
            }
        });
        return out;
    }
}
