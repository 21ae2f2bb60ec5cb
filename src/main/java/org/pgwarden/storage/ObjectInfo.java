package org.pgwarden.storage;

import java.time.Instant;
import java.util.Optional;

/**
 * What a store knows of one object.
 *
 * @param sha256 hex SHA-256 of the stored bytes when the store knows it: S3 after a put (it sends one
 *               for the upload to be checked) and, for objects written in one request, from a stat;
 *               never the filesystem store
 */
public record ObjectInfo(ObjectKey key, long size, Instant lastModified, Optional<String> sha256) {
}
