package org.pgwarden.audit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.pgwarden.common.ErrorCode;
import org.pgwarden.common.PgwardenException;

/**
 * The small sealed JSON object next to each archive ({@code audit/<db>/<schema.table>/<batch>.json}):
 * which rows the archive holds (key range and cutoff, or the partition), how many, the SHA-256 of
 * the CSV plaintext, and how far the deletion got. It is written in state {@code archived} after the
 * archive verified and before any row is deleted, and rewritten as {@code deleted} once the delete
 * committed, so a run that died in between is recognised and finished by the next one.
 *
 * @param keyFrom         first key of the batch (each key column as text); empty for a partition
 * @param keyTo           last key of the batch; empty for a partition
 * @param timeFrom        oldest timestamp among the archived rows; empty when there were none
 * @param finished        when the state became {@code deleted} or {@code superseded}
 */
public record ArchiveManifest(String batch, String database, String table, String mode, State state,
        Optional<String> partition, String runId, long rows, long plaintextBytes, long storedBytes, String sha256,
        Instant cutoff, String timestampColumn, List<KeyColumn> keyColumns, List<String> keyFrom, List<String> keyTo,
        Optional<Instant> timeFrom, Optional<Instant> timeTo, Instant created, Optional<Instant> finished) {
    static final int FORMAT = 1;
    private static final ObjectMapper JSON = new ObjectMapper();

    public ArchiveManifest {
        keyColumns = List.copyOf(keyColumns);
        keyFrom = List.copyOf(keyFrom);
        keyTo = List.copyOf(keyTo);
    }

    /** How far the rows of an archive have left the table. */
    public enum State {
        /** Archived and verified; the delete (or detach and drop) may not have happened yet. */
        ARCHIVED,
        /** The rows are gone from the table: the archive is now their only copy. */
        DELETED,
        /**
         * The rows changed after they were archived and were not deleted; a later batch archives
         * them again. Restore ignores this archive.
         */
        SUPERSEDED;

        String label() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** A key column and its SQL type (as {@code format_type} prints it), to cast key literals back. */
    public record KeyColumn(String name, String type) {
    }

    ArchiveManifest with(State next, Instant at) {
        return new ArchiveManifest(batch, database, table, mode, next, partition, runId, rows, plaintextBytes,
                storedBytes, sha256, cutoff, timestampColumn, keyColumns, keyFrom, keyTo, timeFrom, timeTo, created,
                Optional.of(at));
    }

    /** Whether any archived row may lie in {@code [from, to)}. */
    boolean overlaps(Instant from, Instant to) {
        if (timeFrom.isEmpty() || timeTo.isEmpty()) {
            return false;
        }
        return timeFrom.get().isBefore(to) && !timeTo.get().isBefore(from);
    }

    byte[] toJson() {
        ObjectNode n = JSON.createObjectNode();
        n.put("format", FORMAT);
        n.put("batch", batch);
        n.put("database", database);
        n.put("table", table);
        n.put("mode", mode);
        n.put("state", state.label());
        partition.ifPresent(p -> n.put("partition", p));
        n.put("runId", runId);
        n.put("rows", rows);
        n.put("archiveFormat", "csv-header");
        n.put("plaintextBytes", plaintextBytes);
        n.put("storedBytes", storedBytes);
        n.put("sha256", sha256);
        n.put("cutoff", cutoff.toString());
        n.put("timestampColumn", timestampColumn);
        ArrayNode keys = n.putArray("keyColumns");
        keyColumns.forEach(k -> keys.addObject().put("name", k.name()).put("type", k.type()));
        ArrayNode from = n.putArray("keyFrom");
        keyFrom.forEach(from::add);
        ArrayNode to = n.putArray("keyTo");
        keyTo.forEach(to::add);
        timeFrom.ifPresent(t -> n.put("timeFrom", t.toString()));
        timeTo.ifPresent(t -> n.put("timeTo", t.toString()));
        n.put("created", created.toString());
        finished.ifPresent(t -> n.put("finished", t.toString()));
        try {
            return JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(n);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    static ArchiveManifest parse(byte[] json, String where) {
        try {
            JsonNode n = JSON.readTree(json);
            if (n.path("format").asInt() != FORMAT) {
                throw new PgwardenException(ErrorCode.INTEGRITY_MANIFEST, "audit manifest '" + where
                        + "' has format " + n.path("format").asText() + "; this version reads format " + FORMAT);
            }
            List<KeyColumn> keys = new ArrayList<>();
            n.path("keyColumns").forEach(k -> keys.add(new KeyColumn(k.path("name").asText(), k.path("type").asText())));
            List<String> from = new ArrayList<>();
            n.path("keyFrom").forEach(v -> from.add(v.asText()));
            List<String> to = new ArrayList<>();
            n.path("keyTo").forEach(v -> to.add(v.asText()));
            return new ArchiveManifest(req(n, "batch"), req(n, "database"), req(n, "table"), req(n, "mode"),
                    State.valueOf(req(n, "state").toUpperCase(Locale.ROOT)), opt(n, "partition"), req(n, "runId"),
                    n.path("rows").asLong(), n.path("plaintextBytes").asLong(), n.path("storedBytes").asLong(),
                    req(n, "sha256"), Instant.parse(req(n, "cutoff")), req(n, "timestampColumn"), keys, from, to,
                    opt(n, "timeFrom").map(Instant::parse), opt(n, "timeTo").map(Instant::parse),
                    Instant.parse(req(n, "created")), opt(n, "finished").map(Instant::parse));
        } catch (IOException | RuntimeException e) {
            if (e instanceof PgwardenException p) {
                throw p;
            }
            throw new PgwardenException(ErrorCode.INTEGRITY_MANIFEST, "audit manifest '" + where
                    + "' is not readable: " + e.getMessage(), e);
        }
    }

    private static String req(JsonNode n, String field) {
        JsonNode v = n.get(field);
        if (v == null || v.isNull()) {
            throw new IllegalArgumentException("field '" + field + "' is missing");
        }
        return v.asText();
    }

    private static Optional<String> opt(JsonNode n, String field) {
        JsonNode v = n.get(field);
        return v == null || v.isNull() ? Optional.empty() : Optional.of(v.asText());
    }
}
