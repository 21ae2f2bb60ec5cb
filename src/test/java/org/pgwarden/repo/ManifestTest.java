package org.pgwarden.repo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pgwarden.common.ErrorCode;
import org.pgwarden.common.PgwardenException;
import org.pgwarden.crypto.SealResult;
import org.pgwarden.storage.ObjectKey;
import org.pgwarden.testing.InMemoryObjectStore;

class ManifestTest {
    static final BackupLabel FULL = BackupLabel.parse("20261124-020000F");
    static final BackupLabel INCR = BackupLabel.parse("20261124-020000F_20261124-080000I");

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
    void roundTripKeepsEveryFieldAndCountsTheFooter() {
        ManifestHeader header = RepoFixture.givenIncrementalHeader(INCR, FULL);
        ManifestEntry dir1 = ManifestEntry.directory("base", 1_700_000_000_000L, 0700);
        ManifestEntry reused = RepoFixture.givenFile("base/1/1259", 300_000, 131072, FULL);
        ManifestEntry changed = ManifestEntry.file("base/1/1259_fsm", 10, 1L, 0600, RepoFixture.SHA_A,
                List.of(new Slice(0, 10, RepoFixture.SHA_B, new ChunkRef(INCR, RepositoryLayout.bundle(INCR, 2), 4096,
                        600, 123))), List.of(0L, 7L));
        ManifestEntry empty = ManifestEntry.file("base/1/PG_VERSION_empty", 0, 1L, 0600, RepoFixture.SHA_B, List.of(),
                List.of());
        ManifestEntry link = ManifestEntry.symlink("pg_tblspc/16384", 1L, 0777, "/srv/ts1");
        SealResult sealed;
        try (ManifestWriter w = ManifestWriter.open(repo.objects, header)) {
            for (ManifestEntry e : List.of(dir1, reused, changed, empty, link)) {
                w.add(e);
            }
            sealed = w.commit();
            assertThat(w.footer()).isEqualTo(new ManifestFooter(5, 300_010, 10, 300_000, 2));
        }
        assertThat(sealed.storedBytes()).isEqualTo(store.bytes(RepositoryLayout.manifest(INCR)).length);

        try (ManifestReader r = ManifestReader.open(repo.objects, INCR)) {
            assertThat(r.header()).isEqualTo(header);
            assertThat(r.entries().toList()).containsExactly(dir1, reused, changed, empty, link);
            assertThat(r.footer()).isEqualTo(new ManifestFooter(5, 300_010, 10, 300_000, 2));
        }
    }

    @Test
    void hundredThousandEntriesStreamThroughWithoutBeingHeld() {
        int n = 100_000;
        try (ManifestWriter w = ManifestWriter.open(repo.objects, RepoFixture.givenFullHeader(FULL))) {
            for (int i = 0; i < n; i++) {
                w.add(RepoFixture.givenFile(String.format("base/16384/%07d", i), 8192, 8192, FULL));
            }
            w.commit();
        }
        long count = 0;
        long size = 0;
        try (ManifestReader r = ManifestReader.open(repo.objects, FULL)) {
            Iterator<ManifestEntry> it = r.iterator();
            while (it.hasNext()) {
                ManifestEntry e = it.next();
                count++;
                size += e.size();
            }
            assertThat(r.footer().entryCount()).isEqualTo(n);
        }
        assertThat(count).isEqualTo(n);
        assertThat(size).isEqualTo(8192L * n);
    }

    @Test
    void entriesOutOfPathOrderAreRefusedBeforeTheyAreWritten() {
        try (ManifestWriter w = ManifestWriter.open(repo.objects, RepoFixture.givenFullHeader(FULL))) {
            w.add(ManifestEntry.directory("base", 1L, 0700));
            w.add(ManifestEntry.directory("base/1", 1L, 0700));
            assertThatThrownBy(() -> w.add(ManifestEntry.directory("base/1", 1L, 0700)))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'base/1' after 'base/1'");
            // byte-wise: '/' (0x2f) sorts before '_' (0x5f) and '.' (0x2e) before '/'
            w.add(ManifestEntry.directory("base/1_x", 1L, 0700));
            assertThatThrownBy(() -> w.add(ManifestEntry.directory("base/1.x", 1L, 0700)))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("ascending path order");
        }
        assertThat(store.keys()).noneMatch(k -> k.startsWith("backup/"));
    }

    @Test
    void closingWithoutCommitStoresNothing() {
        try (ManifestWriter w = ManifestWriter.open(repo.objects, RepoFixture.givenFullHeader(FULL))) {
            for (int i = 0; i < 20_000; i++) {
                w.add(RepoFixture.givenFile(String.format("f%06d", i), 100, 100, FULL));
            }
        }
        assertThat(store.stat(RepositoryLayout.manifest(FULL))).isEmpty();
    }

    @Test
    void chunksOutsideTheBackupChainAreRefused() {
        BackupLabel otherFull = BackupLabel.parse("20261123-020000F");
        BackupLabel laterIncr = BackupLabel.parse("20261124-020000F_20261124-090000I");
        try (ManifestWriter w = ManifestWriter.open(repo.objects, RepoFixture.givenIncrementalHeader(INCR, FULL))) {
            assertThatThrownBy(() -> w.add(RepoFixture.givenFile("a", 10, 10, otherFull)))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'20261123-020000F'");
            assertThatThrownBy(() -> w.add(RepoFixture.givenFile("b", 10, 10, laterIncr)))
                    .isInstanceOf(IllegalArgumentException.class);
        }
        BackupLabel diff = BackupLabel.parse("20261124-020000F_20261124-100000D");
        assertThatThrownBy(() -> RepoFixture.givenIncrementalHeader(diff, INCR))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("must be its full");
        assertThatThrownBy(() -> RepoFixture.givenIncrementalHeader(INCR, laterIncr))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("earlier backup");
        assertThatThrownBy(() -> new ChunkRef(FULL, RepositoryLayout.bundle(INCR, 1), 0, 10, 0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("is not a bundle of backup");
    }

    @Test
    void slicesMustCoverTheFileInOrder() {
        ChunkRef ref = new ChunkRef(FULL, RepositoryLayout.bundle(FULL, 1), 0, 100, 0);
        Slice first = new Slice(0, 10, RepoFixture.SHA_A, ref);
        Slice gap = new Slice(11, 5, RepoFixture.SHA_A, ref);
        assertThatThrownBy(() -> ManifestEntry.file("f", 16, 1, 0600, RepoFixture.SHA_A, List.of(first, gap), List.of()))
                .hasMessageContaining("expected offset 10, got 11");
        assertThatThrownBy(() -> ManifestEntry.file("f", 20, 1, 0600, RepoFixture.SHA_A, List.of(first), List.of()))
                .hasMessageContaining("cover 10 bytes, but its size is 20");
        assertThatThrownBy(() -> ManifestEntry.file("../etc/passwd", 0, 1, 0600, RepoFixture.SHA_A, List.of(), List.of()))
                .hasMessageContaining("segment '..'");
    }

    @Test
    void manifestWithoutFooterIsTruncated() throws IOException {
        givenRawManifest(FULL, out -> {
            write(out, ManifestJson.headerLine(RepoFixture.givenFullHeader(FULL)));
            write(out, ManifestJson.entryLine(ManifestEntry.directory("base", 1L, 0700)));
        });
        try (ManifestReader r = ManifestReader.open(repo.objects, FULL)) {
            Iterator<ManifestEntry> it = r.iterator();
            assertThat(it.next().path()).isEqualTo("base");
            assertThatThrownBy(it::hasNext).isInstanceOfSatisfying(PgwardenException.class, e -> {
                assertThat(e.errorCode()).isEqualTo(ErrorCode.INTEGRITY_TRUNCATED);
                assertThat(e.getMessage()).contains("'backup/20261124-020000F/manifest'", "without its footer");
            });
        }
        try (ManifestReader r = ManifestReader.open(repo.objects, FULL)) {
            assertThatThrownBy(r::footerSkippingEntries).isInstanceOfSatisfying(PgwardenException.class,
                    e -> assertThat(e.errorCode()).isEqualTo(ErrorCode.INTEGRITY_TRUNCATED));
        }
    }

    @Test
    void footerThatDisagreesWithTheEntriesIsRefused() {
        givenRawManifest(FULL, out -> {
            write(out, ManifestJson.headerLine(RepoFixture.givenFullHeader(FULL)));
            write(out, ManifestJson.entryLine(RepoFixture.givenFile("a", 10, 10, FULL)));
            write(out, ManifestJson.footerLine(new ManifestFooter(1, 99, 10, 0, 0)));
        });
        try (ManifestReader r = ManifestReader.open(repo.objects, FULL)) {
            assertThatThrownBy(r::footer).isInstanceOfSatisfying(PgwardenException.class, e -> {
                assertThat(e.errorCode()).isEqualTo(ErrorCode.INTEGRITY_MANIFEST);
                assertThat(e.getMessage()).contains("footer says");
            });
        }
    }

    @Test
    void disorderAndGarbageFoundWhileReadingAreIntegrityErrors() {
        givenRawManifest(FULL, out -> {
            write(out, ManifestJson.headerLine(RepoFixture.givenFullHeader(FULL)));
            write(out, ManifestJson.entryLine(ManifestEntry.directory("b", 1L, 0700)));
            write(out, ManifestJson.entryLine(ManifestEntry.directory("a", 1L, 0700)));
        });
        try (ManifestReader r = ManifestReader.open(repo.objects, FULL)) {
            assertThatThrownBy(() -> r.entries().toList()).isInstanceOfSatisfying(PgwardenException.class, e -> {
                assertThat(e.errorCode()).isEqualTo(ErrorCode.INTEGRITY_MANIFEST);
                assertThat(e.getMessage()).contains("line 3", "'a' after 'b'");
            });
        }
        givenRawManifest(FULL, out -> write(out, "{\"entry\":{}}\n".getBytes(StandardCharsets.UTF_8)));
        assertThatThrownBy(() -> ManifestReader.open(repo.objects, FULL)).isInstanceOfSatisfying(PgwardenException.class,
                e -> assertThat(e.getMessage()).contains("first line is not the header"));
    }

    @Test
    void manifestOfAnotherBackupIsRefused() {
        givenRawManifest(INCR, out -> write(out, ManifestJson.headerLine(RepoFixture.givenFullHeader(FULL))));
        assertThatThrownBy(() -> ManifestReader.open(repo.objects, INCR)).isInstanceOfSatisfying(PgwardenException.class,
                e -> assertThat(e.errorCode()).isEqualTo(ErrorCode.INTEGRITY_MANIFEST));
    }

    @Test
    void tamperedOrMovedManifestFailsAuthentication() {
        try (ManifestWriter w = ManifestWriter.open(repo.objects, RepoFixture.givenFullHeader(FULL))) {
            w.add(RepoFixture.givenFile("a", 10, 10, FULL));
            w.commit();
        }
        ObjectKey key = RepositoryLayout.manifest(FULL);
        byte[] good = store.bytes(key);
        byte[] bad = good.clone();
        bad[200] ^= 1;
        store.replace(key, bad);
        assertThatThrownBy(() -> {
            try (ManifestReader r = ManifestReader.open(repo.objects, FULL)) {
                r.footer();
            }
        }).isInstanceOfSatisfying(PgwardenException.class,
                e -> assertThat(e.errorCode()).isEqualTo(ErrorCode.INTEGRITY_AUTHENTICATION));

        store.replace(key, good);
        BackupLabel other = BackupLabel.parse("20261125-020000F");
        store.replace(RepositoryLayout.manifest(other), good);
        assertThatThrownBy(() -> ManifestReader.open(repo.objects, other)).isInstanceOfSatisfying(PgwardenException.class,
                e -> assertThat(e.errorCode()).isEqualTo(ErrorCode.INTEGRITY_AUTHENTICATION));
    }

    @Test
    void jsonLinesKeepTheSystemIdentifierExact() throws IOException {
        try (ManifestWriter w = ManifestWriter.open(repo.objects, RepoFixture.givenFullHeader(FULL))) {
            w.commit();
        }
        String text;
        try (InputStream in = repo.objects.open(RepositoryLayout.manifest(FULL))) {
            text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        assertThat(text.split("\n")).hasSize(2);
        assertThat(text).startsWith("{\"header\":{\"format\":1,\"label\":\"20261124-020000F\"")
                .contains("\"systemIdentifier\":\"7300000000000000001\"")
                .contains("{\"footer\":{\"entryCount\":0,");
    }

    void givenRawManifest(BackupLabel label, Consumer<ByteArrayOutputStream> lines) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        lines.accept(out);
        repo.objects.put(RepositoryLayout.manifest(label), new java.io.ByteArrayInputStream(out.toByteArray()));
    }

    static void write(ByteArrayOutputStream out, byte[] bytes) {
        out.writeBytes(bytes);
    }
}
