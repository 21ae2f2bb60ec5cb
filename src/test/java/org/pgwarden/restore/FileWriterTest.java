package org.pgwarden.restore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Clock;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.pgwarden.common.ErrorCode;
import org.pgwarden.common.PgwardenException;
import org.pgwarden.job.JobContext;
import org.pgwarden.repo.ChunkRef;
import org.pgwarden.repo.ManifestEntry;
import org.pgwarden.repo.Slice;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A file is put in place only when its checksum matches; a mismatch names
 * the bad slice when there is one, and leaves neither the file nor its temporary copy behind.
 */
class FileWriterTest {
    private static final int SLICE = 8192;

    @TempDir
    Path dir;

    private SealedChunks repo;
    private Path pgdata;
    private byte[] content;
    private List<ChunkRef> chunks;

    @BeforeEach
    void givenAFileStoredInTwoChunks() throws Exception {
        repo = SealedChunks.createRepository(dir);
        pgdata = Files.createDirectories(dir.resolve("pgdata"));
        content = new byte[3 * SLICE + 100];
        new Random(7).nextBytes(content);
        // Chunk 0 holds slices 0 and 1 back to back; chunk 1 holds slices 2 and 3 after 10 bytes of another file.
        byte[] second = new byte[10 + SLICE + 100];
        System.arraycopy(content, 2 * SLICE, second, 10, SLICE + 100);
        chunks = repo.givenBundle(List.of(Arrays.copyOfRange(content, 0, 2 * SLICE), second));
    }

    @AfterEach
    void closeKey() {
        repo.close();
    }

    @Test
    void writesTheFileFromItsSlices() throws Exception {
        Path target = pgdata.resolve("16384");
        assertThat(write(entry(sha(content), slices(false)), target)).isEqualTo(content.length);
        assertThat(Files.readAllBytes(target)).isEqualTo(content);
        assertThat(Files.getPosixFilePermissions(target)).isEqualTo(FileOwner.permissions(0600));
        assertThat(files()).containsExactly(target);
    }

    @Test
    void aDamagedSliceIsNamedAndNothingIsLeft() {
        byte[] other = content.clone();
        other[SLICE + 1] ^= 1;   // the manifest describes other content: slice 1 and the file differ
        assertThatThrownBy(() -> write(entry(sha(other), slices(true)), pgdata.resolve("16384")))
                .isInstanceOfSatisfying(PgwardenException.class, e -> {
                    assertThat(e.errorCode()).isEqualTo(ErrorCode.INTEGRITY_CHECKSUM);
                    assertThat(e.getMessage()).contains("'base/1/16384'", "slice at " + SLICE,
                            "does not match its checksum");
                });
        assertThat(files()).isEmpty();
    }

    @Test
    void aFileChecksumMismatchWithMatchingSlicesFailsAsWhole() {
        byte[] other = content.clone();
        other[0] ^= 1;
        assertThatThrownBy(() -> write(entry(sha(other), slices(false)), pgdata.resolve("16384")))
                .isInstanceOfSatisfying(PgwardenException.class, e -> assertThat(e.getMessage())
                        .contains("the reassembled file does not match its checksum"));
        assertThat(files()).isEmpty();
    }

    private long write(ManifestEntry entry, Path target) throws Exception {
        try (FileCommitter committer = new FileCommitter(pgdata, 2)) {
            FileWriter writer = new FileWriter(new ChunkCache(repo.objects), committer,
                    FileOwner.forRestore(pgdata, "postgres"), JobContext.standalone("test", "restore", Clock.systemUTC()));
            long written = writer.write(entry, target, false);
            committer.finish();
            return written;
        }
    }

    /** The four slices of the file; with {@code damagedSecond}, slice 1's checksum is of other bytes. */
    private List<Slice> slices(boolean damagedSecond) {
        ChunkRef a = chunks.get(0);
        ChunkRef b = chunks.get(1);
        return List.of(
                slice(0, SLICE, new ChunkRef(a.backupLabel(), a.object(), a.chunkOffset(), a.chunkLength(), 0)),
                damagedSecond
                        ? new Slice(SLICE, SLICE, sha(new byte[SLICE]),
                                new ChunkRef(a.backupLabel(), a.object(), a.chunkOffset(), a.chunkLength(), SLICE))
                        : slice(SLICE, SLICE, new ChunkRef(a.backupLabel(), a.object(), a.chunkOffset(), a.chunkLength(), SLICE)),
                slice(2 * SLICE, SLICE, new ChunkRef(b.backupLabel(), b.object(), b.chunkOffset(), b.chunkLength(), 10)),
                slice(3 * SLICE, 100, new ChunkRef(b.backupLabel(), b.object(), b.chunkOffset(), b.chunkLength(), 10 + SLICE)));
    }

    private Slice slice(int offset, int length, ChunkRef ref) {
        return new Slice(offset, length, sha(Arrays.copyOfRange(content, offset, offset + length)), ref);
    }

    private ManifestEntry entry(String sha, List<Slice> slices) {
        return ManifestEntry.file("base/1/16384", content.length, 1_700_000_000_000L, 0600, sha, slices, List.of());
    }

    private List<Path> files() {
        try (Stream<Path> s = Files.walk(pgdata)) {
            return s.filter(Files::isRegularFile).toList();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static String sha(byte[] b) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
