package org.pgwarden.repo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pgwarden.adapter.fs.FilesystemObjectStore;
import org.pgwarden.common.ErrorCode;
import org.pgwarden.common.PgwardenException;
import org.pgwarden.storage.ObjectStore;

class StanzaStoreTest {
    static final StanzaInfo MAIN = StanzaInfo.of("main", 7300000000000000001L, 15, 16 * 1024 * 1024, 8192,
            Instant.parse("2026-11-24T02:00:00Z"));

    @TempDir
    Path dir;
    ObjectStore store;
    RepoFixture repo;
    StanzaStore stanzas;

    @BeforeEach
    void createRepo() throws IOException {
        store = givenFilesystemStore();
        repo = RepoFixture.createRepo(store, Files.createDirectories(dir.resolve("keys")));
        stanzas = new StanzaStore(store, repo.objects);
    }

    @AfterEach
    void close() {
        repo.close();
        store.close();
    }

    @Test
    void missingStanzaSaysHowToCreateIt() {
        assertThat(stanzas.find()).isEmpty();
        assertThatThrownBy(stanzas::load).isInstanceOfSatisfying(PgwardenException.class, e -> {
            assertThat(e.errorCode()).isEqualTo(ErrorCode.STANZA_MISSING);
            assertThat(e.hint()).get().asString().contains("stanza-create");
        });
    }

    @Test
    void createStoresASealedStanzaThatLoadsBack() throws IOException {
        assertThat(stanzas.create(MAIN)).isEqualTo(MAIN);
        assertThat(stanzas.load()).isEqualTo(MAIN);
        byte[] raw;
        try (InputStream in = store.get(RepositoryLayout.STANZA)) {
            raw = in.readAllBytes();
        }
        assertThat(new String(raw, StandardCharsets.ISO_8859_1)).startsWith("PGWOBJ").doesNotContain("7300000000000000001");
        try (InputStream in = repo.objects.open(RepositoryLayout.STANZA)) {
            assertThat(new String(in.readAllBytes(), StandardCharsets.UTF_8))
                    .contains("\"systemIdentifier\" : \"7300000000000000001\"", "\"repositoryFormat\" : 1");
        }
    }

    @Test
    void createIsIdempotentForTheSameCluster() {
        stanzas.create(MAIN);
        StanzaInfo again = StanzaInfo.of("main", MAIN.systemIdentifier(), 15, MAIN.walSegmentSize(), 8192,
                Instant.parse("2026-12-01T00:00:00Z"));
        assertThat(stanzas.create(again)).isEqualTo(MAIN);
        assertThat(stanzas.load().createdAt()).isEqualTo(MAIN.createdAt());
    }

    @Test
    void anotherClusterIsRefusedNamingBothIdentifiers() {
        stanzas.create(MAIN);
        StanzaInfo other = StanzaInfo.of("main", -42L, 15, MAIN.walSegmentSize(), 8192, MAIN.createdAt());
        assertThatThrownBy(() -> stanzas.create(other)).isInstanceOfSatisfying(PgwardenException.class, e -> {
            assertThat(e.errorCode()).isEqualTo(ErrorCode.STANZA_MISMATCH);
            assertThat(e.errorCode().exitCode()).isEqualTo(5);
            assertThat(e.getMessage()).contains("7300000000000000001", Long.toUnsignedString(-42L));
            assertThat(e.hint()).isPresent();
        });
        StanzaInfo renamed = StanzaInfo.of("other", MAIN.systemIdentifier(), 15, MAIN.walSegmentSize(), 8192,
                MAIN.createdAt());
        assertThatThrownBy(() -> stanzas.create(renamed)).isInstanceOfSatisfying(PgwardenException.class,
                e -> assertThat(e.getMessage()).contains("'main'", "'other'"));
    }

    @Test
    void saveReplacesTheStanza() {
        stanzas.create(MAIN);
        StanzaInfo upgraded = StanzaInfo.of("main", MAIN.systemIdentifier(), 16, MAIN.walSegmentSize(), 8192,
                MAIN.createdAt());
        stanzas.save(upgraded);
        assertThat(stanzas.load().pgMajor()).isEqualTo(16);
    }

    @Test
    void invalidStanzaNamesAreRefused() {
        assertThatThrownBy(() -> StanzaInfo.of("../x", 1, 15, 1, 1, MAIN.createdAt()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'../x'");
    }

    ObjectStore givenFilesystemStore() throws IOException {
        return new FilesystemObjectStore(dir.resolve("repo"));
    }
}
