package org.pgwarden.storage;

import java.io.InputStream;
import java.util.Collection;
import java.util.Optional;
import java.util.stream.Stream;
import org.pgwarden.common.ErrorCode;
import org.pgwarden.common.PgwardenException;

/**
 * A view of a store that reads through and refuses every write, for code that must not change the
 * repository (verify, dry runs). Closing the view does not close the store it wraps: the owner does.
 */
final class ReadOnlyObjectStore implements ObjectStore {
    private final ObjectStore store;

    ReadOnlyObjectStore(ObjectStore store) {
        this.store = store;
    }

    @Override
    public String describe() {
        return store.describe();
    }

    @Override
    public Capabilities capabilities() {
        return store.capabilities();
    }

    @Override
    public ObjectInfo put(ObjectKey key, InputStream data) {
        throw refused("put", key);
    }

    @Override
    public ObjectInfo create(ObjectKey key, InputStream data) {
        throw refused("create", key);
    }

    @Override
    public InputStream get(ObjectKey key) {
        return store.get(key);
    }

    @Override
    public InputStream get(ObjectKey key, long offset, long length) {
        return store.get(key, offset, length);
    }

    @Override
    public Optional<ObjectInfo> stat(ObjectKey key) {
        return store.stat(key);
    }

    @Override
    public Stream<ObjectInfo> list(String prefix) {
        return store.list(prefix);
    }

    @Override
    public void delete(Collection<ObjectKey> keys) {
        throw refused("delete", keys.isEmpty() ? null : keys.iterator().next());
    }

    @Override
    public long discardIncomplete(String prefix) {
        throw new PgwardenException(ErrorCode.REPO_READ_ONLY, "unable to discard unfinished writes under '" + prefix
                + "' in '" + store.describe() + "': the store is opened read-only");
    }

    @Override
    public ObjectStore readOnly() {
        return this;
    }

    @Override
    public void close() {
        // The wrapped store belongs to whoever opened it.
    }

    private PgwardenException refused(String operation, ObjectKey key) {
        return new PgwardenException(ErrorCode.REPO_READ_ONLY,
                "unable to " + operation + " '" + key + "' in '" + store.describe() + "': the store is opened read-only");
    }
}
