package org.pgwarden.repo;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeType;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.pgwarden.common.PgwardenException;
import org.pgwarden.storage.ObjectKey;

/**
 * The manifest's line format, field by field, kept apart from the records so that renaming a Java
 * accessor can never change the format. Each line is one JSON object with a single member named
 * {@code header}, {@code entry} or {@code footer}. Parse failures throw
 * {@link IllegalArgumentException}; the reader adds the object key and line number.
 *
 * <p>64-bit values that tools such as {@code jq} would round (the system identifier) are strings.
 */
final class ManifestJson {
    static final int FORMAT = 1;
    static final String HEADER = "header";
    static final String ENTRY = "entry";
    static final String FOOTER = "footer";

    private static final ObjectMapper JSON = new ObjectMapper();

    private ManifestJson() {
    }

    // ---- writing ----

    static byte[] headerLine(ManifestHeader h) {
        ObjectNode n = JSON.createObjectNode();
        n.put("format", FORMAT);
        n.put("label", h.label().toString());
        n.put("type", String.valueOf(h.type().letter()));
        h.parent().ifPresent(p -> n.put("parent", p.toString()));
        n.put("startTime", h.startTime().toString());
        n.put("stopTime", h.stopTime().toString());
        n.put("startLsn", h.startLsn());
        n.put("stopLsn", h.stopLsn());
        n.put("timeline", h.timeline());
        n.put("pgMajor", h.pgMajor());
        n.put("systemIdentifier", Long.toUnsignedString(h.systemIdentifier()));
        n.put("walSegmentSize", h.walSegmentSize());
        n.put("blockSize", h.blockSize());
        n.put("dataChecksums", h.dataChecksums());
        n.put("backupLabel", h.backupLabelText());
        if (h.tablespaceMapText() != null) {
            n.put("tablespaceMap", h.tablespaceMapText());
        }
        ObjectNode a = n.putObject("annotations");
        h.annotations().forEach(a::put);
        return line(HEADER, n);
    }

    static byte[] entryLine(ManifestEntry e) {
        ObjectNode n = JSON.createObjectNode();
        n.put("path", e.path());
        n.put("type", e.type().name().toLowerCase(java.util.Locale.ROOT));
        n.put("size", e.size());
        n.put("mtime", e.mtimeMillis());
        n.put("mode", e.mode());
        if (e.linkTarget() != null) {
            n.put("link", e.linkTarget());
        }
        if (e.sha256() != null) {
            n.put("sha256", e.sha256());
        }
        if (!e.slices().isEmpty()) {
            ArrayNode slices = n.putArray("slices");
            for (Slice s : e.slices()) {
                ObjectNode sn = slices.addObject();
                sn.put("offset", s.fileOffset());
                sn.put("length", s.length());
                sn.put("sha256", s.sha256());
                sn.put("backup", s.ref().backupLabel().toString());
                sn.put("object", s.ref().object().value());
                sn.put("chunkOffset", s.ref().chunkOffset());
                sn.put("chunkLength", s.ref().chunkLength());
                sn.put("sliceOffset", s.ref().sliceOffset());
            }
        }
        if (!e.invalidPages().isEmpty()) {
            ArrayNode pages = n.putArray("invalidPages");
            e.invalidPages().forEach(pages::add);
        }
        return line(ENTRY, n);
    }

    static byte[] footerLine(ManifestFooter f) {
        ObjectNode n = JSON.createObjectNode();
        n.put("entryCount", f.entryCount());
        n.put("totalSize", f.totalSize());
        n.put("storedBytes", f.storedBytes());
        n.put("reusedBytes", f.reusedBytes());
        n.put("invalidPageCount", f.invalidPageCount());
        return line(FOOTER, n);
    }

    private static byte[] line(String kind, ObjectNode body) {
        ObjectNode root = JSON.createObjectNode();
        root.set(kind, body);
        try {
            byte[] json = JSON.writeValueAsBytes(root);
            byte[] out = new byte[json.length + 1];
            System.arraycopy(json, 0, out, 0, json.length);
            out[json.length] = '\n';
            return out;
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("unable to serialize a manifest " + kind, e);
        }
    }

    // ---- reading ----

    /** One parsed line: its kind and body. */
    record Line(String kind, JsonNode body) {
    }

    static Line parse(String text) {
        JsonNode root;
        try {
            root = JSON.readTree(text);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("not JSON: " + e.getOriginalMessage());
        }
        if (root == null || !root.isObject() || root.size() != 1) {
            throw new IllegalArgumentException("expected an object with one member 'header', 'entry' or 'footer'");
        }
        Map.Entry<String, JsonNode> only = root.fields().next();
        String kind = only.getKey();
        if (!kind.equals(HEADER) && !kind.equals(ENTRY) && !kind.equals(FOOTER)) {
            throw new IllegalArgumentException("unknown line kind '" + kind + "'");
        }
        if (!only.getValue().isObject()) {
            throw new IllegalArgumentException("'" + kind + "' must be an object");
        }
        return new Line(kind, only.getValue());
    }

    static ManifestHeader header(JsonNode n) {
        int format = integer(n, "format");
        if (format != FORMAT) {
            throw new IllegalArgumentException("unknown manifest format " + format + " (this version reads " + FORMAT + ")");
        }
        Map<String, String> annotations = new LinkedHashMap<>();
        JsonNode a = n.get("annotations");
        if (a != null && !a.isNull()) {
            if (!a.isObject()) {
                throw new IllegalArgumentException("'annotations' must be an object");
            }
            for (Iterator<Map.Entry<String, JsonNode>> it = a.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                annotations.put(e.getKey(), textValue(e.getValue(), "annotations." + e.getKey()));
            }
        }
        String type = text(n, "type");
        if (type.length() != 1) {
            throw new IllegalArgumentException("'type' must be one letter, got '" + type + "'");
        }
        try {
            return new ManifestHeader(label(text(n, "label")), BackupType.ofLetter(type.charAt(0)),
                    optionalText(n, "parent").map(ManifestJson::label), instant(n, "startTime"),
                    instant(n, "stopTime"), text(n, "startLsn"), text(n, "stopLsn"), integer(n, "timeline"),
                    integer(n, "pgMajor"), Long.parseUnsignedLong(text(n, "systemIdentifier")),
                    integer(n, "walSegmentSize"), integer(n, "blockSize"), text(n, "backupLabel"),
                    optionalText(n, "tablespaceMap").orElse(null), bool(n, "dataChecksums"), annotations);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'systemIdentifier' is not an unsigned 64-bit number");
        } catch (PgwardenException e) {
            throw new IllegalArgumentException(e.getMessage());
        }
    }

    static ManifestEntry entry(JsonNode n) {
        String typeName = text(n, "type");
        ManifestEntry.Type type;
        try {
            type = ManifestEntry.Type.valueOf(typeName.toUpperCase(java.util.Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unknown entry type '" + typeName + "'");
        }
        List<Slice> slices = new ArrayList<>();
        for (JsonNode s : array(n, "slices")) {
            ChunkRef ref = new ChunkRef(label(text(s, "backup")), objectKey(text(s, "object")),
                    number(s, "chunkOffset"), number(s, "chunkLength"), number(s, "sliceOffset"));
            slices.add(new Slice(number(s, "offset"), number(s, "length"), text(s, "sha256"), ref));
        }
        List<Long> pages = new ArrayList<>();
        for (JsonNode p : array(n, "invalidPages")) {
            if (!p.canConvertToLong() || !p.isIntegralNumber()) {
                throw new IllegalArgumentException("'invalidPages' must hold block numbers");
            }
            pages.add(p.longValue());
        }
        return new ManifestEntry(text(n, "path"), type, number(n, "size"), number(n, "mtime"), integer(n, "mode"),
                optionalText(n, "link").orElse(null), optionalText(n, "sha256").orElse(null), slices, pages);
    }

    static ManifestFooter footer(JsonNode n) {
        return new ManifestFooter(number(n, "entryCount"), number(n, "totalSize"), number(n, "storedBytes"),
                number(n, "reusedBytes"), number(n, "invalidPageCount"));
    }

    private static BackupLabel label(String text) {
        try {
            return BackupLabel.parse(text);
        } catch (PgwardenException e) {
            throw new IllegalArgumentException(e.getMessage());
        }
    }

    private static ObjectKey objectKey(String text) {
        return new ObjectKey(text);
    }

    private static Instant instant(JsonNode n, String field) {
        String t = text(n, field);
        try {
            return Instant.parse(t);
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException("'" + field + "' is not an ISO-8601 instant: '" + t + "'");
        }
    }

    private static String text(JsonNode n, String field) {
        return textValue(n.get(field), field);
    }

    private static String textValue(JsonNode v, String field) {
        if (v == null || v.getNodeType() != JsonNodeType.STRING) {
            throw new IllegalArgumentException("'" + field + "' is missing or not a string");
        }
        return v.textValue();
    }

    private static Optional<String> optionalText(JsonNode n, String field) {
        JsonNode v = n.get(field);
        return v == null || v.isNull() ? Optional.empty() : Optional.of(textValue(v, field));
    }

    private static long number(JsonNode n, String field) {
        JsonNode v = n.get(field);
        if (v == null || !v.isIntegralNumber() || !v.canConvertToLong()) {
            throw new IllegalArgumentException("'" + field + "' is missing or not a whole number");
        }
        return v.longValue();
    }

    private static int integer(JsonNode n, String field) {
        long v = number(n, field);
        if (v < Integer.MIN_VALUE || v > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("'" + field + "' is out of range: " + v);
        }
        return (int) v;
    }

    private static boolean bool(JsonNode n, String field) {
        JsonNode v = n.get(field);
        if (v == null || !v.isBoolean()) {
            throw new IllegalArgumentException("'" + field + "' is missing or not true/false");
        }
        return v.booleanValue();
    }

    private static Iterable<JsonNode> array(JsonNode n, String field) {
        JsonNode v = n.get(field);
        if (v == null || v.isNull()) {
            return List.of();
        }
        if (!v.isArray()) {
            throw new IllegalArgumentException("'" + field + "' must be an array");
        }
        return v;
    }
}
