package org.pgwarden.restore;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.pgwarden.repo.ChunkRef;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Chunks come back byte for byte whatever their size, also once evicted buffers are reused. */
class ChunkCacheTest {
    @TempDir
    Path dir;

    private SealedChunks repo;

    @BeforeEach
    void createRepository() {
        repo = SealedChunks.createRepository(dir);
    }

    @AfterEach
    void closeKey() {
        repo.close();
    }

    @Test
    void returnsEveryChunkExactlyAcrossSizesAndEvictions() throws Exception {
        // Around the first buffer (1 MiB): below, exactly, just above (grows), far above; then small ones.
        int[] sizes = {1, 1000, (1 << 20) - 1, 1 << 20, (1 << 20) + 1, 3 << 20, 17, 64 << 10, 5, 200_000};
        Random random = new Random(42);
        List<byte[]> plain = new ArrayList<>();
        for (int size : sizes) {
            byte[] b = new byte[size];
            random.nextBytes(b);
            Arrays.fill(b, 0, size / 2, (byte) 7);   // half compressible, so sealed and plain sizes differ
            plain.add(b);
        }
        List<ChunkRef> refs = repo.givenBundle(plain);
        ChunkCache cache = new ChunkCache(repo.objects);

        // Twice in order (every chunk evicted before it comes again), then backwards, then repeated hits.
        for (int round = 0; round < 2; round++) {
            for (int i = 0; i < refs.size(); i++) {
                assertChunk(cache.plaintext(refs.get(i)), plain.get(i));
            }
        }
        for (int i = refs.size() - 1; i >= 0; i--) {
            assertChunk(cache.plaintext(refs.get(i)), plain.get(i));
            assertChunk(cache.plaintext(refs.get(i)), plain.get(i));
        }
        // Backwards, the last four read (9..6) are still cached: only 5..0 are fetched a third time.
        long all = refs.stream().mapToLong(ChunkRef::chunkLength).sum();
        long firstSix = refs.subList(0, 6).stream().mapToLong(ChunkRef::chunkLength).sum();
        assertThat(cache.fetchedBytes()).as("hits are not fetched again").isEqualTo(2 * all + firstSix);
    }

    private static void assertChunk(ChunkCache.Chunk chunk, byte[] expected) {
        assertThat(chunk.length()).isEqualTo(expected.length);
        assertThat(Arrays.copyOf(chunk.bytes(), chunk.length())).isEqualTo(expected);
    }
}
