package org.pgwarden.storage;

/**
 * Features a store offers; callers branch on these, never on the store's class.
 *
 * @param conditionalCreate {@link ObjectStore#create} is atomic (no check-then-write race)
 * @param objectLock        objects are written with a retention lock
 * @param rangedGet         ranged reads are served without reading the whole object
 */
public record Capabilities(boolean conditionalCreate, boolean objectLock, boolean rangedGet) {
}
