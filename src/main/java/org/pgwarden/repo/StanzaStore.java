package org.pgwarden.repo;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import org.pgwarden.common.ErrorCode;
import org.pgwarden.common.PgwardenException;
import org.pgwarden.storage.ObjectKey;
import org.pgwarden.storage.ObjectStore;

/**
 * Loads and saves {@code stanza.json}, sealed like every other object. The system identifier is
 * written as a string because JSON tools read numbers as doubles and would round it.
 */
public final class StanzaStore {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    private static final ObjectKey KEY = RepositoryLayout.STANZA;

    private final ObjectStore store;
    private final SealedObjects objects;

    public StanzaStore(ObjectStore store, SealedObjects objects) {
        this.store = Objects.requireNonNull(store, "store");
        this.objects = Objects.requireNonNull(objects, "objects");
    }

    /** The stanza of this repository; {@code STANZA_MISSING} when it was never created. */
    public StanzaInfo load() {
        return find().orElseThrow(() -> new PgwardenException(ErrorCode.STANZA_MISSING, "repository "
                + store.describe() + " has no stanza: '" + KEY + "' does not exist",
                "run 'pgwarden stanza-create' once before the first backup or WAL push", null));
    }

    /** The stanza of this repository, if it was created. */
    public Optional<StanzaInfo> find() {
        if (store.stat(KEY).isEmpty()) {
            return Optional.empty();
        }
        try (InputStream in = objects.open(KEY)) {
            return Optional.of(decode(in.readAllBytes()));
        } catch (IOException e) {
            throw new PgwardenException(ErrorCode.REPO_IO, "unable to read '" + KEY + "'", e);
        }
    }

    /** Replaces {@code stanza.json} (e.g. after a major upgrade); {@link #create} is for the first time. */
    public void save(StanzaInfo info) {
        objects.put(KEY, new ByteArrayInputStream(encode(info)));
    }

    /**
     * Makes this repository {@code info}'s. Running it again for the same cluster and stanza changes
     * nothing and returns what is stored; a repository that already belongs to another cluster or
     * stanza is refused with {@code STANZA_MISMATCH}. The first write is a conditional create, so
     * two hosts racing cannot both win.
     */
    public StanzaInfo create(StanzaInfo info) {
        Optional<StanzaInfo> existing = find();
        if (existing.isEmpty()) {
            try {
                objects.create(KEY, new ByteArrayInputStream(encode(info)));
                return info;
            } catch (PgwardenException e) {
                if (e.errorCode() != ErrorCode.REPO_OBJECT_EXISTS) {
                    throw e;
                }
                existing = find();
                if (existing.isEmpty()) {
                    throw e;
                }
            }
        }
        return requireSameCluster(existing.get(), info);
    }

    private StanzaInfo requireSameCluster(StanzaInfo stored, StanzaInfo wanted) {
        if (stored.systemIdentifier() != wanted.systemIdentifier()) {
            throw new PgwardenException(ErrorCode.STANZA_MISMATCH, "repository " + store.describe()
                    + " belongs to stanza '" + stored.stanza() + "' of system identifier "
                    + Long.toUnsignedString(stored.systemIdentifier()) + ", not to system identifier "
                    + Long.toUnsignedString(wanted.systemIdentifier()) + " of stanza '" + wanted.stanza() + "'",
                    "each repository holds one cluster: point this stanza at an empty repository, or check that"
                            + " 'pg' in the configuration connects to the cluster this repository was created for",
                    null);
        }
        if (!stored.stanza().equals(wanted.stanza())) {
            throw new PgwardenException(ErrorCode.STANZA_MISMATCH, "repository " + store.describe()
                    + " belongs to stanza '" + stored.stanza() + "', not to stanza '" + wanted.stanza()
                    + "' (both of system identifier " + Long.toUnsignedString(stored.systemIdentifier()) + ")",
                    "set the stanza name in the configuration to '" + stored.stanza() + "'", null);
        }
        return stored;
    }

    static byte[] encode(StanzaInfo info) {
        ObjectNode n = JSON.createObjectNode();
        n.put("repositoryFormat", info.repositoryFormat());
        n.put("stanza", info.stanza());
        n.put("systemIdentifier", Long.toUnsignedString(info.systemIdentifier()));
        n.put("pgMajor", info.pgMajor());
        n.put("walSegmentSize", info.walSegmentSize());
        n.put("blockSize", info.blockSize());
        n.put("createdAt", info.createdAt().toString());
        try {
            return JSON.writeValueAsBytes(n);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("unable to serialize the stanza", e);
        }
    }

    static StanzaInfo decode(byte[] bytes) {
        try {
            JsonNode n = JSON.readTree(bytes);
            int format = n.path("repositoryFormat").asInt(-1);
            if (format != StanzaInfo.CURRENT_FORMAT) {
                throw new PgwardenException(ErrorCode.INTEGRITY_HEADER, "'" + KEY + "' has repository format "
                        + n.path("repositoryFormat") + ", this version of pgwarden reads format "
                        + StanzaInfo.CURRENT_FORMAT, "use the pgwarden version that created this repository", null);
            }
            return new StanzaInfo(n.path("stanza").textValue(), Long.parseUnsignedLong(n.path("systemIdentifier").asText()),
                    required(n, "pgMajor"), required(n, "walSegmentSize"), required(n, "blockSize"), format,
                    Instant.parse(n.path("createdAt").asText()));
        } catch (PgwardenException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            throw new PgwardenException(ErrorCode.INTEGRITY_HEADER, "'" + KEY + "' is corrupt: " + e.getMessage(), e);
        }
    }

    private static int required(JsonNode n, String field) {
        JsonNode v = n.get(field);
        if (v == null || !v.canConvertToInt() || !v.isIntegralNumber()) {
            throw new IllegalArgumentException("'" + field + "' is missing or not a whole number");
        }
        return v.intValue();
    }
}
