package org.pgwarden.storage;

import java.io.InputStream;
import java.util.Collection;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * The port every repository write and read goes through: S3, a local directory, or a test
 * double. Implementations translate their failures into {@code PgwardenException}s with
 * repository error codes at the edge, and retry retriable ones under their configured policy.
 *
 * <p>Semantics every implementation honours (checked by the contract test): an object is visible
 * only once completely written; a failed or aborted write leaves nothing visible; listing is
 * lazy and never holds all keys in memory.
 */
public interface ObjectStore extends AutoCloseable {

    /** Where this store is, for messages: {@code s3://bucket/prefix} or a directory path. */
    String describe();

    Capabilities capabilities();

    /** Writes {@code data} (length not known in advance) to {@code key}, replacing any object there. */
    ObjectInfo put(ObjectKey key, InputStream data);

    /**
     * Writes {@code data} to {@code key} only if no object exists there; fails with
     * {@code REPO_OBJECT_EXISTS} otherwise. Atomic when {@link Capabilities#conditionalCreate()}.
     */
    ObjectInfo create(ObjectKey key, InputStream data);

    /** The whole object; {@code REPO_OBJECT_MISSING} when absent. The caller closes the stream. */
    InputStream get(ObjectKey key);

    /** {@code length} bytes from {@code offset} (fewer at the end of the object). */
    InputStream get(ObjectKey key, long offset, long length);

    Optional<ObjectInfo> stat(ObjectKey key);

    /**
     * Objects whose key starts with {@code prefix} (a plain string prefix, may be empty), in key
     * order, fetched page by page as the stream is consumed. The caller closes the stream.
     */
    Stream<ObjectInfo> list(String prefix);

    /** Deletes the given keys in batches; keys that do not exist are not an error. */
    void delete(Collection<ObjectKey> keys);

    /**
     * A view of this store that reads through and fails every write with {@code REPO_READ_ONLY};
     * closing the view leaves this store open.
     */
    default ObjectStore readOnly() {
        return new ReadOnlyObjectStore(this);
    }

    /**
     * Removes what writes under {@code prefix} left behind without completing: a local store's
     * temporary files, S3's unfinished multipart uploads. Objects are not touched. Called when a
     * crashed writer's work is cleaned up (an interrupted backup), never while writers are active
     * under the prefix.
     *
     * @return how many leftovers were removed
     */
    default long discardIncomplete(String prefix) {
        return 0;
    }

    @Override
    void close();
}
