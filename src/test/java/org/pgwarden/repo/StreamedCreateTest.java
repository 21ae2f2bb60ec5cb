package org.pgwarden.repo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pgwarden.common.ErrorCode;
import org.pgwarden.common.PgwardenException;
import org.pgwarden.crypto.SealResult;
import org.pgwarden.storage.ObjectKey;
import org.pgwarden.testing.InMemoryObjectStore;

/** {@link SealedObjects#create(ObjectKey, SealedObjects.PlaintextWriter)}: plaintext pushed piece by piece. */
class StreamedCreateTest {
    @TempDir
    Path keys;

    @Test
    void storesWhatTheProducerWritesSealed() throws Exception {
        InMemoryObjectStore store = new InMemoryObjectStore();
        try (RepoFixture repo = RepoFixture.createRepo(store, keys)) {
            ObjectKey key = RepositoryLayout.auditArchive("app", "public.audit_events", "b1");
            byte[] row = "1,login,\"a, b\"\n".getBytes(StandardCharsets.UTF_8);
            SealResult r = repo.objects.create(key, out -> {
                for (int i = 0; i < 20_000; i++) {
                    out.write(row);
                }
            });
            assertThat(r.plaintextBytes()).isEqualTo(20_000L * row.length);
            try (InputStream in = repo.objects.open(key)) {
                assertThat(in.readAllBytes()).hasSize(20_000 * row.length);
            }
            assertThatThrownBy(() -> repo.objects.create(key, out -> out.write(row)))
                    .isInstanceOfSatisfying(PgwardenException.class,
                            e -> assertThat(e.errorCode()).isEqualTo(ErrorCode.REPO_OBJECT_EXISTS));
        }
    }

    @Test
    void aFailingProducerStoresNothingAndItsFailureIsThrown() {
        InMemoryObjectStore store = new InMemoryObjectStore();
        try (RepoFixture repo = RepoFixture.createRepo(store, keys)) {
            ObjectKey key = RepositoryLayout.auditArchive("app", "public.audit_events", "b2");
            assertThatThrownBy(() -> repo.objects.create(key, out -> {
                out.write(new byte[100_000]);
                throw new java.sql.SQLException("canceling statement due to statement timeout", "57014");
            })).isInstanceOfSatisfying(PgwardenException.class, e -> {
                assertThat(e.errorCode()).isEqualTo(ErrorCode.REPO_SOURCE_FAILED);
                assertThat(e.getCause()).isInstanceOf(java.sql.SQLException.class);
            });
            assertThat(store.stat(key)).isEmpty();
        }
    }
}
