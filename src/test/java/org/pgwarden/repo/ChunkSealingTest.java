package org.pgwarden.repo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pgwarden.common.ErrorCode;
import org.pgwarden.common.PgwardenException;
import org.pgwarden.crypto.SealingKey;
import org.pgwarden.crypto.SealingOutputStream;
import org.pgwarden.storage.ObjectKey;
import org.pgwarden.testing.InMemoryObjectStore;

class ChunkSealingTest {
    static final BackupLabel FULL = BackupLabel.parse("20261124-020000F");

    @TempDir
    Path dir;
    final InMemoryObjectStore store = new InMemoryObjectStore();
    RepoFixture repo;

    @BeforeEach
    void createRepo() {
        repo = RepoFixture.createRepo(store, dir);
    }

    @AfterEach
    void closeRepo() {
        repo.close();
    }

    @Test
    void chunksOfOneBundleOpenAloneByRange() throws IOException {
        ObjectKey bundle = RepositoryLayout.bundle(FULL, 1);
        SealingKey key = repo.keyring.currentDataKey();
        ByteArrayOutputStream sink = new ByteArrayOutputStream();
        ChunkRef first = givenChunk(sink, bundle, key, "PG_VERSION 15\npostgresql.auto.conf", 14);
        ChunkRef second = givenChunk(sink, bundle, key, "x".repeat(100_000), 0);
        store.put(bundle, new ByteArrayInputStream(sink.toByteArray()));

        assertThat(RepositoryLayout.chunkIdentity(bundle, 0)).hasToString("backup/20261124-020000F/data/000001/at/0");
        try (InputStream in = repo.objects.openChunk(first)) {
            in.skipNBytes(first.sliceOffset());
            assertThat(new String(in.readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("postgresql.auto.conf");
        }
        try (InputStream in = repo.objects.openChunk(second)) {
            assertThat(in.readAllBytes()).hasSize(100_000);
        }
    }

    @Test
    void chunkReadFromAnotherOffsetFailsAuthentication() throws IOException {
        ObjectKey bundle = RepositoryLayout.bundle(FULL, 1);
        SealingKey key = repo.keyring.currentDataKey();
        ByteArrayOutputStream sink = new ByteArrayOutputStream();
        ChunkRef chunk = givenChunk(sink, bundle, key, "hello", 0);
        byte[] shifted = new byte[7 + sink.size()];
        System.arraycopy(sink.toByteArray(), 0, shifted, 7, sink.size());
        store.put(bundle, new ByteArrayInputStream(shifted));
        ChunkRef moved = new ChunkRef(FULL, bundle, 7, chunk.chunkLength(), 0);
        assertThatThrownBy(() -> {
            try (InputStream in = repo.objects.openChunk(moved)) {
                in.readAllBytes();
            }
        }).isInstanceOfSatisfying(PgwardenException.class,
                e -> assertThat(e.errorCode()).isEqualTo(ErrorCode.INTEGRITY_AUTHENTICATION));
    }

    ChunkRef givenChunk(ByteArrayOutputStream sink, ObjectKey bundle, SealingKey key, String text, long sliceOffset)
            throws IOException {
        long offset = sink.size();
        SealingOutputStream out = repo.objects.sealChunk(sink, bundle, offset, key);
        out.write(text.getBytes(StandardCharsets.UTF_8));
        out.close();
        assertThat(sink.size() - offset).isEqualTo(out.result().storedBytes());
        return new ChunkRef(FULL, bundle, offset, out.result().storedBytes(), sliceOffset);
    }
}
