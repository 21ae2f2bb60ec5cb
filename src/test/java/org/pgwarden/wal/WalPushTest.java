package org.pgwarden.wal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.InputStream;
import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Random;
import org.pgwarden.codec.Codec;
import org.pgwarden.common.ErrorCode;
import org.pgwarden.common.PgwardenException;
import org.pgwarden.repo.SealedObjects;
import org.pgwarden.repo.StanzaInfo;
import org.pgwarden.repo.WalArchiveIndex;
import org.pgwarden.testing.InMemoryObjectStore;
import org.pgwarden.testing.RecordingMetrics;
import org.pgwarden.testing.SealedTestRepository;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;

/**
 * One WAL push against an in-memory repository, read once into a kept buffer (segments up to the
 * in-memory limit) or streamed (larger ones): the same objects and the same refusals either way.
 */
class WalPushTest {
    /** The smallest segment size initdb allows keeps the test fast. */
    private static final int SEGMENT = 1 << 20;
    private static final long SYSTEM_ID = 7_400_000_000_000_000_001L;

    @TempDir
    Path dir;

    private SealedTestRepository repository;
    private InMemoryObjectStore store;
    private final RecordingMetrics metrics = new RecordingMetrics();
    private SealedObjects objects;
    private Path pgwal;

    @BeforeEach
    void createRepository() throws Exception {
        repository = SealedTestRepository.create(dir, Codec.zstd(1));
        store = repository.store();
        objects = repository.objects();
        pgwal = Files.createDirectories(dir.resolve("pg_wal"));
    }

    @AfterEach
    void closeKey() {
        repository.close();
    }

    private WalPush pusher(int inMemoryLimit) {
        StanzaInfo stanza = StanzaInfo.of("test", SYSTEM_ID, 15, SEGMENT, 8192, Instant.parse("2026-11-24T00:00:00Z"));
        return new WalPush(objects, new WalArchiveIndex(store), stanza, metrics, inMemoryLimit);
    }

    /** A segment whose first page has a long header naming {@code systemId}, then seeded bytes. */
    private Path segment(String name, long systemId, int seed) throws Exception {
        byte[] bytes = new byte[SEGMENT];
        new Random(seed).nextBytes(bytes);
        ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        b.putShort(2, (short) 0x0002);
        b.putLong(24, systemId);
        return Files.write(pgwal.resolve(name), bytes);
    }

    private byte[] archived(String name) throws Exception {
        WalArchiveIndex index = new WalArchiveIndex(store);
        try (InputStream in = objects.open(index.find(name).orElseThrow().key())) {
            return in.readAllBytes();
        }
    }

    @ParameterizedTest(name = "in-memory limit {0}")
    @ValueSource(ints = {WalPush.DEFAULT_IN_MEMORY_LIMIT, SEGMENT - 1})
    void segmentsArchiveToTheirExactBytesOneAfterTheOtherAndADuplicateIsASuccess(int limit) throws Exception {
        WalPush push = pusher(limit);
        String[] names = {"000000010000000000000001", "000000010000000000000002", "000000010000000000000003"};
        for (int i = 0; i < names.length; i++) {
            Path file = segment(names[i], SYSTEM_ID, i);
            WalPush.Result r = push.push(file);
            assertThat(r.alreadyArchived()).isFalse();
            assertThat(r.bytes()).isEqualTo(SEGMENT);
            // a kept buffer never carries the previous segment's bytes into the next object
            assertThat(archived(names[i])).isEqualTo(Files.readAllBytes(file));
        }
        assertThat(push.push(pgwal.resolve(names[1])).alreadyArchived()).isTrue();

        Path history = Files.writeString(pgwal.resolve("00000002.history"), "1\t0/3000000\tno recovery target\n");
        push.push(history);
        assertThat(archived("00000002.history")).isEqualTo(Files.readAllBytes(history));
    }

    @Test
    void aWholeSegmentReadLeavesNoSegmentSizedNativeBufferWithTheThread() throws Exception {
        // The JDK reads into a heap array through a temporary direct buffer of the request's size
        // and keeps it for the thread: one read of a 16 MiB segment left 16 MiB of native memory
        // with every thread that ever pushed.
        int size = 16 << 20;
        StanzaInfo stanza = StanzaInfo.of("test", SYSTEM_ID, 15, size, 8192, Instant.parse("2026-11-24T00:00:00Z"));
        WalPush push = new WalPush(objects, new WalArchiveIndex(store), stanza, metrics, WalPush.DEFAULT_IN_MEMORY_LIMIT);
        byte[] bytes = new byte[size];
        new Random(7).nextBytes(bytes);
        ByteBuffer header = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        header.putShort(2, (short) 0x0002);
        header.putLong(24, SYSTEM_ID);
        Path file = Files.write(pgwal.resolve("000000010000000000000009"), bytes);
        BufferPoolMXBean direct = ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class).stream()
                .filter(p -> p.getName().equals("direct")).findFirst().orElseThrow();
        long[] grown = new long[1];
        Thread pusher = new Thread(() -> {
            long before = direct.getMemoryUsed();
            push.push(file);
            grown[0] = direct.getMemoryUsed() - before;
        });
        pusher.start();
        pusher.join();
        assertThat(grown[0]).as("direct memory kept after one push").isLessThan(4L << 20);
        assertThat(archived("000000010000000000000009")).isEqualTo(bytes);
    }

    @ParameterizedTest(name = "in-memory limit {0}")
    @ValueSource(ints = {WalPush.DEFAULT_IN_MEMORY_LIMIT, SEGMENT - 1})
    void differentContentAnotherClusterAndAWrongSizeAreRefusedAndNothingIsReplaced(int limit) throws Exception {
        WalPush push = pusher(limit);
        String name = "000000010000000000000004";
        byte[] first = Files.readAllBytes(segment(name, SYSTEM_ID, 1));
        push.push(pgwal.resolve(name));

        segment(name, SYSTEM_ID, 2);
        assertThatThrownBy(() -> push.push(pgwal.resolve(name))).isInstanceOfSatisfying(PgwardenException.class,
                e -> assertThat(e.errorCode()).isEqualTo(ErrorCode.WAL_DIFFERENT_CONTENT));
        assertThat(archived(name)).isEqualTo(first);

        Path foreign = segment("000000010000000000000005", SYSTEM_ID + 1, 3);
        assertThatThrownBy(() -> push.push(foreign)).isInstanceOfSatisfying(PgwardenException.class,
                e -> assertThat(e.errorCode()).isEqualTo(ErrorCode.WAL_FOREIGN));

        Path shortOne = Files.write(pgwal.resolve("000000010000000000000006"), new byte[SEGMENT / 2]);
        assertThatThrownBy(() -> push.push(shortOne)).isInstanceOfSatisfying(PgwardenException.class,
                e -> assertThat(e).hasMessageContaining("is 524288 bytes; the stanza's segments are 1048576 bytes"));
        assertThat(new WalArchiveIndex(store).find("000000010000000000000005")).isEmpty();
        assertThat(new WalArchiveIndex(store).find("000000010000000000000006")).isEmpty();
    }
}
