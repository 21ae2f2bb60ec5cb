package org.pgwarden.storage;

import java.time.Instant;
import java.util.Optional;

/**
 * What a store knows of one object.
 *
 * @param sha256 hex SHA-256 of the stored bytes when the store knows it (always after a put)
 */
public record ObjectInfo(ObjectKey key, long size, Instant lastModified, Optional<String> sha256) {
}
