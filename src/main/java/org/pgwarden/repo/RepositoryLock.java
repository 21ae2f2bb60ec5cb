package org.pgwarden.repo;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.LongPredicate;
import org.pgwarden.common.ErrorCode;
import org.pgwarden.common.PgwardenException;
import org.pgwarden.storage.ObjectKey;
import org.pgwarden.storage.ObjectStore;

/**
 * The repository's writer lock, {@code lock/backup}: taken with a conditional create so that two
 * backups (or a backup and expire) never write one repository at once, and released by deleting it.
 *
 * <p>The lock body is plain JSON, not sealed: it holds nothing secret, and an operator must be able
 * to read who holds it without key access. A lock whose holder ran on this host and no longer runs
 * is reported as stale with how to remove it, but it is never taken over: a second host may share
 * the host name, or the old process may still be finishing uploads under a new pid namespace.
 */
public final class RepositoryLock {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    private static final ObjectKey KEY = RepositoryLayout.BACKUP_LOCK;
    private static final SecureRandom RANDOM = new SecureRandom();

    private final ObjectStore store;
    private final String thisHost;
    private final LongPredicate processAlive;

    public RepositoryLock(ObjectStore store) {
        this(store, LockOwner.localHostName(), pid -> ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false));
    }

    /** For tests: another host name and process table. */
    RepositoryLock(ObjectStore store, String thisHost, LongPredicate processAlive) {
        this.store = Objects.requireNonNull(store, "store");
        this.thisHost = Objects.requireNonNull(thisHost, "thisHost");
        this.processAlive = Objects.requireNonNull(processAlive, "processAlive");
    }

    /**
     * Takes the lock for {@code owner}; {@code LOCK_HELD} naming the holder when it is taken. Close
     * the returned handle to release it.
     */
    public Held acquire(LockOwner owner) {
        String token = HexFormat.of().formatHex(randomBytes());
        try {
            store.create(KEY, new ByteArrayInputStream(encode(owner, token)));
        } catch (PgwardenException e) {
            if (e.errorCode() == ErrorCode.REPO_OBJECT_EXISTS) {
                throw held(e);
            }
            throw e;
        }
        // Where conditional create is not atomic, the last writer wins: make sure that is us.
        if (!store.capabilities().conditionalCreate() && !read().map(s -> s.token.equals(token)).orElse(false)) {
            throw held(null);
        }
        return new Held(owner, token);
    }

    /**
     * Like {@link #acquire}, but a lock that is provably stale — held by a process of this host
     * that no longer runs (a crashed or killed backup) — is taken over, after {@code reclaimed} was
     * told whose it was so the caller reports it. A lock of another host is never taken over: this
     * host cannot know whether that process still runs.
     */
    public Held acquireReclaimingStale(LockOwner owner, java.util.function.Consumer<LockOwner> reclaimed) {
        try {
            return acquire(owner);
        } catch (PgwardenException e) {
            if (e.errorCode() != ErrorCode.LOCK_HELD) {
                throw e;
            }
            Optional<Stored> current = read();
            if (current.isEmpty() || !current.get().owner.host().equals(thisHost)
                    || processAlive.test(current.get().owner.pid())) {
                throw e;
            }
            reclaimed.accept(current.get().owner);
            store.delete(java.util.List.of(KEY));
            return acquire(owner);
        }
    }

    /** Who holds the lock now, if anyone. */
    public Optional<LockOwner> holder() {
        return read().map(s -> s.owner);
    }

    private PgwardenException held(Throwable cause) {
        Optional<Stored> current = read();
        if (current.isEmpty()) {
            return new PgwardenException(ErrorCode.LOCK_HELD, "repository lock '" + KEY + "' in " + store.describe()
                    + " was taken and released by another process meanwhile", "run again", cause);
        }
        LockOwner o = current.get().owner;
        String remove = "delete '" + KEY + "' in " + store.describe();
        if (o.host().equals(thisHost) && !processAlive.test(o.pid())) {
            return new PgwardenException(ErrorCode.LOCK_HELD, "repository lock '" + KEY + "' is stale: it is held by "
                    + o.describe() + ", and that process no longer runs on this host",
                    "make sure no pgwarden works on this repository, then " + remove, cause);
        }
        String hint = o.host().equals(thisHost)
                ? "wait for pid " + o.pid() + " to finish"
                : "wait for it to finish; if no pgwarden runs on host '" + o.host() + "' any more, " + remove;
        return new PgwardenException(ErrorCode.LOCK_HELD, "repository lock '" + KEY + "' is held by " + o.describe(),
                hint, cause);
    }

    private Optional<Stored> read() {
        if (store.stat(KEY).isEmpty()) {
            return Optional.empty();
        }
        byte[] bytes;
        try (InputStream in = store.get(KEY)) {
            bytes = in.readAllBytes();
        } catch (PgwardenException e) {
            if (e.errorCode() == ErrorCode.REPO_OBJECT_MISSING) {
                return Optional.empty();
            }
            throw e;
        } catch (IOException e) {
            throw new PgwardenException(ErrorCode.REPO_IO, "unable to read repository lock '" + KEY + "'", e);
        }
        return Optional.of(decode(bytes));
    }

    static byte[] encode(LockOwner o, String token) {
        ObjectNode n = JSON.createObjectNode();
        n.put("host", o.host());
        n.put("pid", o.pid());
        o.label().ifPresent(l -> n.put("label", l.toString()));
        n.put("startedAt", o.startedAt().toString());
        n.put("version", o.version());
        n.put("token", token);
        try {
            return JSON.writeValueAsBytes(n);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("unable to serialize the lock", e);
        }
    }

    private static Stored decode(byte[] bytes) {
        try {
            JsonNode n = JSON.readTree(bytes);
            String label = n.path("label").isTextual() ? n.path("label").textValue() : null;
            LockOwner owner = new LockOwner(n.path("host").asText(), n.path("pid").asLong(),
                    Optional.ofNullable(label).map(BackupLabel::parse), Instant.parse(n.path("startedAt").asText()),
                    n.path("version").asText());
            return new Stored(owner, n.path("token").asText());
        } catch (IOException | RuntimeException e) {
            throw new PgwardenException(ErrorCode.LOCK_HELD, "repository lock '" + KEY + "' exists but cannot be read: "
                    + e.getMessage(), "if no pgwarden works on this repository, delete '" + KEY + "'", e);
        }
    }

    private static byte[] randomBytes() {
        byte[] b = new byte[16];
        RANDOM.nextBytes(b);
        return b;
    }

    private record Stored(LockOwner owner, String token) {
    }

    /** A held lock; {@link #close()} releases it. */
    public final class Held implements AutoCloseable {
        private final LockOwner owner;
        private final String token;
        private boolean released;

        private Held(LockOwner owner, String token) {
            this.owner = owner;
            this.token = token;
        }

        public LockOwner owner() {
            return owner;
        }

        /**
         * Deletes the lock if it is still ours. One that an operator removed is fine; one that was
         * replaced by another holder is left alone and reported.
         */
        @Override
        public void close() {
            if (released) {
                return;
            }
            released = true;
            Optional<Stored> current = read();
            if (current.isEmpty()) {
                return;
            }
            if (!current.get().token.equals(token)) {
                throw new PgwardenException(ErrorCode.LOCK_HELD, "repository lock '" + KEY
                        + "' was replaced while this process held it; it now names " + current.get().owner.describe()
                        + " and was left in place", "check that two pgwarden processes do not share this repository",
                        null);
            }
            store.delete(List.of(KEY));
        }
    }
}
