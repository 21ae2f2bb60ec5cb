package org.pgwarden.audit;

import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.pgwarden.common.ErrorCode;
import org.pgwarden.common.PgwardenException;
import org.pgwarden.crypto.SealResult;
import org.pgwarden.repo.RepositoryLayout;
import org.pgwarden.repo.SealedObjects;
import org.pgwarden.storage.ObjectInfo;
import org.pgwarden.storage.ObjectKey;
import org.pgwarden.storage.ObjectStore;

/**
 * Audit archives in the repository: sealed CSV objects and their manifests under
 * {@code audit/<database>/<schema.table>/}. Every failure to reach the repository is an
 * {@code AUDIT_ARCHIVE_FAILED} error naming the table and the repository, raised before any row
 * of the batch is deleted.
 */
final class Archives {
    private final ObjectStore store;
    private final SealedObjects objects;

    Archives(ObjectStore store, SealedObjects objects) {
        this.store = store;
        this.objects = objects;
    }

    String describe() {
        return store.describe();
    }

    /** Seals and stores what {@code producer} writes as the archive of {@code batch}; refuses to overwrite one. */
    SealResult write(String database, String table, String batch, SealedObjects.PlaintextWriter producer) {
        ObjectKey key = RepositoryLayout.auditArchive(database, table, batch);
        try {
            return objects.create(key, producer);
        } catch (PgwardenException e) {
            if (e.errorCode() == ErrorCode.REPO_SOURCE_FAILED) {
                // The rows could not be read (a database error): the caller reports it as such.
                throw e;
            }
            throw unavailable(table, database, "store the archive '" + key + "'", e);
        } catch (RuntimeException e) {
            throw unavailable(table, database, "store the archive '" + key + "'", e);
        }
    }

    /** Reads the archive of {@code batch} back, authenticating and decrypting it, and counts and hashes its rows. */
    CsvDigest readBack(String database, String table, String batch) {
        ObjectKey key = RepositoryLayout.auditArchive(database, table, batch);
        CsvDigest d = new CsvDigest();
        try (InputStream in = objects.open(key)) {
            in.transferTo(d);
        } catch (java.io.IOException | RuntimeException e) {
            PgwardenException p = PgwardenException.of(e);
            if (p.errorCode().exitCode() == ErrorCode.INTEGRITY_CHECKSUM.exitCode()) {
                throw new PgwardenException(ErrorCode.AUDIT_ARCHIVE_MISMATCH, "the archive '" + key + "' of table '"
                        + table + "' does not read back intact: " + p.getMessage() + "; nothing was deleted", e);
            }
            throw unavailable(table, database, "read back the archive '" + key + "'", e);
        }
        return d;
    }

    /** The archive's plaintext (authenticated as it is read); the caller closes it. */
    InputStream open(ArchiveManifest m) {
        return objects.open(RepositoryLayout.auditArchive(m.database(), m.table(), m.batch()));
    }

    void save(ArchiveManifest m) {
        ObjectKey key = RepositoryLayout.auditManifest(m.database(), m.table(), m.batch());
        try {
            objects.put(key, new java.io.ByteArrayInputStream(m.toJson()));
        } catch (RuntimeException e) {
            throw unavailable(m.table(), m.database(), "store the manifest '" + key + "'", e);
        }
    }

    /** Every manifest of the table, oldest batch first. */
    List<ArchiveManifest> list(String database, String table) {
        List<ArchiveManifest> out = new ArrayList<>();
        try (Stream<ObjectInfo> s = store.list(RepositoryLayout.auditTablePrefix(database, table))) {
            for (ObjectInfo o : (Iterable<ObjectInfo>) s::iterator) {
                if (RepositoryLayout.isAuditManifest(o.key())) {
                    byte[] json;
                    try (InputStream in = objects.open(o.key())) {
                        json = in.readAllBytes();
                    }
                    out.add(ArchiveManifest.parse(json, o.key().value()));
                }
            }
        } catch (java.io.IOException | RuntimeException e) {
            if (e instanceof PgwardenException p && p.errorCode() == ErrorCode.INTEGRITY_MANIFEST) {
                throw p;
            }
            throw unavailable(table, database, "list the archives under '"
                    + RepositoryLayout.auditTablePrefix(database, table) + "'", e);
        }
        return out;
    }

    private PgwardenException unavailable(String table, String database, String doing, Exception e) {
        PgwardenException p = PgwardenException.of(e);
        return new PgwardenException(ErrorCode.AUDIT_ARCHIVE_FAILED, "audit retention of table '" + table
                + "' in database '" + database + "': unable to " + doing + " in repository '" + store.describe()
                + "': [" + p.errorCode().id() + "] " + p.getMessage() + "; no row was deleted without a verified archive",
                "check the repository ('pgwarden check'); the next run picks up where this one stopped", e);
    }
}
