package org.pgwarden.wal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.pgwarden.codec.Codec;
import org.pgwarden.common.ErrorCode;
import org.pgwarden.common.PgwardenException;
import org.pgwarden.metrics.MeterNames;
import org.pgwarden.pg.TimelineId;
import org.pgwarden.pg.WalSegmentName;
import org.pgwarden.repo.SealedObjects;
import org.pgwarden.repo.WalArchiveIndex;
import org.pgwarden.storage.ObjectKey;
import org.pgwarden.testing.InMemoryObjectStore;
import org.pgwarden.testing.RecordingMetrics;
import org.pgwarden.testing.SealedTestRepository;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WalFetchTest {
    /** The smallest segment size initdb allows keeps the test fast. */
    private static final int SEGMENT = 1 << 20;

    @TempDir
    Path dir;

    private SealedTestRepository repository;
    private InMemoryObjectStore store;
    private final RecordingMetrics metrics = new RecordingMetrics();
    private final List<byte[]> archived = new ArrayList<>();
    private SealedObjects objects;
    private Path restore;
    private WalSpool spool;

    @BeforeEach
    void createRepository() throws Exception {
        repository = SealedTestRepository.create(dir, Codec.zstd(1));
        store = repository.store();
        objects = repository.objects();
        restore = Files.createDirectories(dir.resolve("pg_wal"));
        spool = WalSpool.forStanza(dir.resolve("spool"), "test", store.describe(), 8);
    }

    @AfterEach
    void closeKey() {
        repository.close();
    }

    @Test
    void servesTheArchivedBytesAndLeavesNoTemporaryFile() throws Exception {
        givenArchivedSegments(3);
        WalFetch.Result r = fetcher(0).fetch(segment(2), restore.resolve("RECOVERYXLOG"));
        assertThat(r.outcome()).isEqualTo(WalFetch.Outcome.SERVED);
        assertThat(Files.readAllBytes(restore.resolve("RECOVERYXLOG"))).isEqualTo(archived.get(1));
        assertThat(fileNames(restore)).containsExactly("RECOVERYXLOG");
        assertThat(metrics.counter(MeterNames.WAL_FETCHES, "result", "served")).isEqualTo(1);
    }

    @Test
    void aFileBeyondTheArchiveIsMissingNotAnError() throws Exception {
        givenArchivedSegments(2);
        WalFetch.Result r = fetcher(4).fetch(segment(3), restore.resolve("RECOVERYXLOG"));
        assertThat(r.outcome()).isEqualTo(WalFetch.Outcome.MISSING);
        assertThat(fetcher(4).fetch("00000002.history", restore.resolve("RECOVERYHISTORY")).outcome())
                .isEqualTo(WalFetch.Outcome.MISSING);
        assertThat(fileNames(restore)).isEmpty();
        assertThat(metrics.counter(MeterNames.WAL_FETCHES, "result", "missing")).isEqualTo(2);
    }

    @Test
    void aTamperedObjectIsRefusedNamingItsKeyAndNothingIsPlaced() throws Exception {
        givenArchivedSegments(1);
        ObjectKey key = WalArchiveIndex.key(segment(1), sha256(archived.get(0)));
        byte[] sealed = store.bytes(key);
        sealed[sealed.length / 2] ^= 0x01;
        store.replace(key, sealed);

        assertThatThrownBy(() -> fetcher(0).fetch(segment(1), restore.resolve("RECOVERYXLOG")))
                .isInstanceOfSatisfying(PgwardenException.class, e -> {
                    assertThat(e.errorCode().exitCode()).isEqualTo(4);
                    assertThat(e.getMessage()).contains(key.toString());
                });
        assertThat(fileNames(restore)).isEmpty();
        assertThat(metrics.counter(MeterNames.WAL_FETCHES, "result", "failed")).isEqualTo(1);
    }

    @Test
    void contentThatDoesNotMatchTheChecksumInItsKeyIsRefused() throws Exception {
        byte[] data = givenSegmentBytes(1);
        ObjectKey wrongKey = WalArchiveIndex.key(segment(1), "0123456789abcdef" + "0".repeat(48));
        objects.put(wrongKey, new ByteArrayInputStream(data));

        assertThatThrownBy(() -> fetcher(0).fetch(segment(1), restore.resolve("RECOVERYXLOG")))
                .isInstanceOfSatisfying(PgwardenException.class, e -> {
                    assertThat(e.errorCode()).isEqualTo(ErrorCode.INTEGRITY_CHECKSUM);
                    assertThat(e.getMessage()).contains(wrongKey.toString()).contains("0123456789abcdef");
                });
        assertThat(fileNames(restore)).isEmpty();
    }

    @Test
    void prefetchedSegmentsAreServedFromTheSpoolAndRefilledInBatches() throws Exception {
        givenArchivedSegments(12);
        WalFetch f = fetcher(4);
        WalFetch.Result first = f.fetch(segment(1), restore.resolve("RECOVERYXLOG"));
        assertThat(first.prefetched()).isEqualTo(4);
        assertThat(spool.names()).containsExactly(segment(2), segment(3), segment(4), segment(5));

        List<WalFetch.Result> rest = new ArrayList<>();
        for (int i = 2; i <= 12; i++) {
            rest.add(f.fetch(segment(i), restore.resolve("RECOVERYXLOG")));
            assertThat(Files.readAllBytes(restore.resolve("RECOVERYXLOG"))).as(segment(i)).isEqualTo(archived.get(i - 1));
        }
        assertThat(rest).extracting(WalFetch.Result::outcome).containsOnly(WalFetch.Outcome.SPOOL_HIT);
        // a refill happens only when at most half of the window is left: after 3 (adds 6, 7), 5 (8, 9), ...
        assertThat(rest).extracting(WalFetch.Result::prefetched).containsExactly(0, 2, 0, 2, 0, 2, 0, 1, 0, 0, 0);
        assertThat(metrics.counter(MeterNames.WAL_FETCHES, "result", "spool_hit")).isEqualTo(11);
        assertThat(spool.names()).isEmpty();
        assertThat(fileNames(restore)).containsExactly("RECOVERYXLOG");
    }

    @Test
    void aSpoolHitThatNeedsNoRefillNeverOpensTheRepository() throws Exception {
        givenArchivedSegments(6);
        fetcher(4).fetch(segment(1), restore.resolve("RECOVERYXLOG"));
        WalFetch offline = new WalFetch(() -> {
            throw new AssertionError("the repository was opened");
        }, spool, 4, metrics);
        assertThat(offline.fetch(segment(2), restore.resolve("RECOVERYXLOG")).outcome())
                .isEqualTo(WalFetch.Outcome.SPOOL_HIT);
        assertThat(Files.readAllBytes(restore.resolve("RECOVERYXLOG"))).isEqualTo(archived.get(1));
    }

    @Test
    void aDamagedSpoolEntryIsFetchedAgainFromTheRepository() throws Exception {
        givenArchivedSegments(3);
        fetcher(2).fetch(segment(1), restore.resolve("RECOVERYXLOG"));
        try (Stream<Path> s = Files.list(spool.directory())) {
            Path entry = s.filter(p -> p.getFileName().toString().startsWith(segment(2))).findFirst().orElseThrow();
            Files.write(entry, new byte[]{1, 2, 3});
        }
        WalFetch.Result r = fetcher(0).fetch(segment(2), restore.resolve("RECOVERYXLOG"));
        assertThat(r.outcome()).isEqualTo(WalFetch.Outcome.SERVED);
        assertThat(Files.readAllBytes(restore.resolve("RECOVERYXLOG"))).isEqualTo(archived.get(1));
    }

    @Test
    void theSpoolForgetsWhatRecoveryWentPastAndStaysWithinItsCapacity() throws Exception {
        Path d = Files.createDirectories(spool.directory());
        Files.setPosixFilePermissions(d, PosixFilePermissions.fromString("rwx------"));
        for (int i = 1; i <= 12; i++) {
            Files.write(d.resolve(segment(i) + "-0000000000000000"), new byte[]{1});
        }
        Files.write(d.resolve("000000010000000000000001-0000000000000000.pgwarden-1-1.tmp"), new byte[]{1});
        spool.prune(segment(3));
        assertThat(spool.names()).hasSize(8).first().isEqualTo(segment(3));
        assertThat(spool.names()).last().isEqualTo(segment(10));
        assertThat(fileNames(d)).as("a fresh temporary file may belong to a live process")
                .contains("000000010000000000000001-0000000000000000.pgwarden-1-1.tmp");
    }

    @Test
    void aSpoolDirectoryOthersCanWriteIsNotUsed() throws Exception {
        givenArchivedSegments(3);
        Path d = Files.createDirectories(spool.directory());
        Files.setPosixFilePermissions(d, PosixFilePermissions.fromString("rwxrwxrwx"));
        byte[] planted = "not WAL".getBytes();
        Files.write(d.resolve(segment(2) + "-" + sha256(planted).substring(0, 16)), planted);

        WalFetch.Result first = fetcher(2).fetch(segment(1), restore.resolve("RECOVERYXLOG"));
        assertThat(first.prefetched()).isZero();
        WalFetch.Result second = fetcher(2).fetch(segment(2), restore.resolve("RECOVERYXLOG"));
        assertThat(second.outcome()).isEqualTo(WalFetch.Outcome.SERVED);
        assertThat(Files.readAllBytes(restore.resolve("RECOVERYXLOG"))).isEqualTo(archived.get(1));
    }

    @Test
    void historyFilesAreServedWithoutPrefetching() throws Exception {
        byte[] history = "1\t0/3000000\tno recovery target specified\n".getBytes();
        objects.put(WalArchiveIndex.key("00000002.history", sha256(history)), new ByteArrayInputStream(history));
        WalFetch.Result r = fetcher(4).fetch("00000002.history", restore.resolve("RECOVERYHISTORY"));
        assertThat(r).isEqualTo(new WalFetch.Result("00000002.history", WalFetch.Outcome.SERVED, 0));
        assertThat(Files.readAllBytes(restore.resolve("RECOVERYHISTORY"))).isEqualTo(history);
    }

    @Test
    void aNameThatIsNotAWalFileIsAUsageError() {
        assertThatThrownBy(() -> fetcher(0).fetch("../etc/passwd", restore.resolve("x")))
                .isInstanceOfSatisfying(PgwardenException.class,
                        e -> assertThat(e.errorCode()).isEqualTo(ErrorCode.WAL_INVALID));
    }

    private WalFetch fetcher(int window) {
        return new WalFetch(() -> new WalFetch.Archive(objects, new WalArchiveIndex(store), () -> SEGMENT), spool, window,
                metrics);
    }

    private void givenArchivedSegments(int count) throws Exception {
        for (int i = 1; i <= count; i++) {
            byte[] data = givenSegmentBytes(i);
            objects.put(WalArchiveIndex.key(segment(i), sha256(data)), new ByteArrayInputStream(data));
            archived.add(data);
        }
    }

    private static byte[] givenSegmentBytes(int seed) {
        byte[] data = new byte[SEGMENT];
        new Random(seed).nextBytes(data);
        return data;
    }

    private static String segment(int n) {
        return WalSegmentName.ofSegmentNumber(TimelineId.parseHex("00000001"), n, SEGMENT).toString();
    }

    private static String sha256(byte[] data) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
    }

    private static List<String> fileNames(Path d) throws Exception {
        try (Stream<Path> s = Files.list(d)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }
}
