package org.pgwarden.drill;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.pgwarden.common.ErrorCode;
import org.pgwarden.common.PgwardenException;
import org.pgwarden.repo.RepositoryLayout;
import org.pgwarden.repo.SealedObjects;
import org.pgwarden.storage.ObjectInfo;
import org.pgwarden.storage.ObjectKey;
import org.pgwarden.storage.ObjectStore;

/**
 * The drill reports kept in the repository under {@code drill/}: the newest for {@code info}, the
 * newest that passed for the last-success gauge after a restart (the repository, not the process,
 * remembers when a drill last proved a restore), and pruning to a bounded number. Keys sort by
 * the drill's start time, so the listing is the history.
 */
public final class DrillReports {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final ObjectStore store;
    private final SealedObjects objects;

    public DrillReports(ObjectStore store, SealedObjects objects) {
        this.store = store;
        this.objects = objects;
    }

    /** The keys of every stored report, oldest first. */
    public List<ObjectKey> keys() {
        try (Stream<ObjectInfo> s = store.list(RepositoryLayout.DRILL_PREFIX)) {
            return s.map(ObjectInfo::key).filter(k -> k.value().endsWith(".json")).sorted().toList();
        }
    }

    /** The newest report as stored (see {@link DrillReport#toJson()}); empty when no drill ran. */
    public Optional<JsonNode> newest() {
        List<ObjectKey> keys = keys();
        return keys.isEmpty() ? Optional.empty() : Optional.of(read(keys.get(keys.size() - 1)));
    }

    /**
     * When the newest drill that passed finished, reading from the newest report back and at most
     * {@code lookBack} reports (a run of failures longer than that is news enough on its own).
     */
    public Optional<Instant> lastSuccess(int lookBack) {
        List<ObjectKey> keys = keys();
        for (int i = keys.size() - 1; i >= 0 && i >= keys.size() - lookBack; i--) {
            JsonNode r = read(keys.get(i));
            if (r.path("passed").asBoolean(false) && r.hasNonNull("finished")) {
                return Optional.of(Instant.parse(r.get("finished").asText()));
            }
        }
        return Optional.empty();
    }

    /** Deletes all but the newest {@code keep} reports; returns how many it deleted. */
    public int prune(int keep) {
        List<ObjectKey> keys = keys();
        if (keys.size() <= keep) {
            return 0;
        }
        List<ObjectKey> old = keys.subList(0, keys.size() - keep);
        store.delete(old);
        return old.size();
    }

    private JsonNode read(ObjectKey key) {
        try (InputStream in = objects.open(key)) {
            return JSON.readTree(in);
        } catch (IOException e) {
            throw new PgwardenException(ErrorCode.INTEGRITY_MANIFEST, "drill report '" + key
                    + "' in the repository is not readable JSON: " + e.getMessage(), e);
        } catch (UncheckedIOException e) {
            throw PgwardenException.of(e);
        }
    }
}
