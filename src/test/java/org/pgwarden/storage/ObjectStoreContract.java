package org.pgwarden.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.pgwarden.common.ErrorCode;
import org.pgwarden.common.PgwardenException;

/**
 * What every {@link ObjectStore} must do, run against each implementation. Each test works under
 * its own random prefix, so a store (and its bucket or directory) can be shared by a class.
 */
public abstract class ObjectStoreContract {
    /** The part size the store under test was configured with; sizes around it exercise both write paths. */
    protected static final int PART = 5 * 1024 * 1024;

    protected String base;

    /** The store under test; the subclass owns and closes it. */
    protected abstract ObjectStore store();

    /**
     * Whether the server behind the store makes create atomic under concurrency. S3 and the
     * filesystem do; S3Mock honours If-None-Match but checks and writes without a lock.
     */
    protected boolean serverCreatesAtomically() {
        return true;
    }

    /** Fails when a failed write left anything behind: temporary files or unfinished uploads. */
    protected abstract void assertNoUnfinishedWrites();

    /** What a put of {@code data} reports as the stored bytes' SHA-256 (see {@link ObjectInfo}). */
    protected Optional<String> putChecksum(byte[] data) {
        return Optional.of(sha256(data));
    }

    @BeforeEach
    void givenFreshPrefix() {
        base = "t-" + UUID.randomUUID().toString().substring(0, 8);
    }

    protected ObjectKey key(String name) {
        return new ObjectKey(base + "/" + name);
    }

    static Stream<Integer> sizes() {
        Random random = new Random(7);
        return Stream.of(0, 1, PART - 1, PART, PART + 1, 3 * PART + 12_345,
                random.nextInt(2 * PART), random.nextInt(4 * PART), random.nextInt(64 * 1024));
    }

    @ParameterizedTest(name = "{0} bytes")
    @MethodSource("sizes")
    void putThenGetReturnsTheSameBytes(int size) throws IOException {
        byte[] data = givenBytes(size, size);
        ObjectInfo info = store().put(key("obj"), new ByteArrayInputStream(data));

        assertThat(info.size()).isEqualTo(size);
        assertThat(info.sha256()).isEqualTo(putChecksum(data));
        assertSameBytes(readAll(store().get(key("obj"))), data);
        assertThat(store().stat(key("obj"))).hasValueSatisfying(s -> assertThat(s.size()).isEqualTo(size));
    }

    @Test
    void putReadsSourcesThatReturnFewBytesPerRead() throws IOException {
        byte[] data = givenBytes(2 * PART + 3, 11);
        InputStream trickle = new ByteArrayInputStream(data) {
            private final Random r = new Random(3);

            @Override
            public synchronized int read(byte[] b, int off, int len) {
                return super.read(b, off, Math.min(len, 1 + r.nextInt(70_000)));
            }
        };
        store().put(key("trickle"), trickle);

        assertSameBytes(readAll(store().get(key("trickle"))), data);
    }

    @Test
    void putReplacesAnExistingObject() throws IOException {
        store().put(key("x"), new ByteArrayInputStream(givenBytes(100, 1)));
        byte[] second = givenBytes(50, 2);
        store().put(key("x"), new ByteArrayInputStream(second));

        assertSameBytes(readAll(store().get(key("x"))), second);
    }

    @Test
    void rangedGetReturnsTheRequestedSliceAndFewerAtTheEnd() throws IOException {
        byte[] data = givenBytes(PART + 1000, 5);
        store().put(key("r"), new ByteArrayInputStream(data));

        assertSameBytes(readAll(store().get(key("r"), 0, 10)), slice(data, 0, 10));
        assertSameBytes(readAll(store().get(key("r"), PART - 5, 10)), slice(data, PART - 5, 10));
        assertSameBytes(readAll(store().get(key("r"), data.length - 10, 100)), slice(data, data.length - 10, 10));
        assertThat(readAll(store().get(key("r"), data.length, 5))).isEmpty();
        assertThat(readAll(store().get(key("r"), 7, 0))).isEmpty();
        assertThat(store().capabilities().rangedGet()).isTrue();
    }

    @Test
    void rangedGetOfAnEmptyObjectIsEmpty() throws IOException {
        store().put(key("empty"), InputStream.nullInputStream());

        assertThat(readAll(store().get(key("empty"), 0, 10))).isEmpty();
    }

    @Test
    void missingObjectsAreReportedAsMissing() {
        assertThat(store().stat(key("nothing"))).isEmpty();
        assertThatThrownBy(() -> store().get(key("nothing")).close())
                .isInstanceOfSatisfying(PgwardenException.class, e -> {
                    assertThat(e.errorCode()).isEqualTo(ErrorCode.REPO_OBJECT_MISSING);
                    assertThat(e.getMessage()).contains("unable to get").contains(key("nothing").value());
                });
    }

    @ParameterizedTest(name = "{0} bytes")
    @MethodSource("createSizes")
    void createFailsWhenTheKeyExistsAndKeepsTheFirstObject(int size) throws IOException {
        byte[] first = givenBytes(size, 21);
        store().create(key("lock"), new ByteArrayInputStream(first));

        assertThatThrownBy(() -> store().create(key("lock"), new ByteArrayInputStream(givenBytes(size, 22))))
                .isInstanceOfSatisfying(PgwardenException.class, e -> {
                    assertThat(e.errorCode()).isEqualTo(ErrorCode.REPO_OBJECT_EXISTS);
                    assertThat(e.getMessage()).contains("unable to create").contains(key("lock").value());
                });
        assertSameBytes(readAll(store().get(key("lock"))), first);
        assertNoUnfinishedWrites();
    }

    static Stream<Integer> createSizes() {
        return Stream.of(10, PART + 1);
    }

    @Test
    void concurrentCreatesOfOneKeyLetExactlyOneWin() throws Exception {
        assertThat(store().capabilities().conditionalCreate()).isTrue();
        Assumptions.assumeTrue(serverCreatesAtomically(), "the server under test does not lock conditional writes");
        int writers = 8;
        List<Callable<byte[]>> tasks = new ArrayList<>();
        for (int i = 0; i < writers; i++) {
            byte[] mine = givenBytes(1000, 100 + i);
            tasks.add(() -> {
                try {
                    store().create(key("wal"), new ByteArrayInputStream(mine));
                    return mine;
                } catch (PgwardenException e) {
                    assertThat(e.errorCode()).isEqualTo(ErrorCode.REPO_OBJECT_EXISTS);
                    return null;
                }
            });
        }
        List<byte[]> winners = new ArrayList<>();
        for (Future<byte[]> f : runAll(tasks)) {
            if (f.get() != null) {
                winners.add(f.get());
            }
        }

        assertThat(winners).hasSize(1);
        assertSameBytes(readAll(store().get(key("wal"))), winners.get(0));
    }

    @Test
    void listReturnsKeysUnderThePrefixInKeyOrderAcrossPages() {
        List<String> names = new ArrayList<>(List.of("a-c", "a/b", "a/b/c", "a0", "b", "a/a"));
        names.remove("a/b"); // a key cannot also be a directory on a filesystem
        for (int i = 0; i < 20; i++) {
            names.add(String.format("wal/%04X%04X", i / 4, i));
        }
        for (String n : names) {
            store().put(key(n), new ByteArrayInputStream(n.getBytes()));
        }

        List<String> all = listNames(base + "/");
        assertThat(all).containsExactlyElementsOf(names.stream().sorted().toList());
        assertThat(listNames(base + "/wal/0000")).allMatch(n -> n.startsWith("wal/0000")).hasSize(4);
        assertThat(listNames(base + "/a")).containsExactly("a-c", "a/a", "a/b/c", "a0");
        assertThat(listNames(base + "/a/")).containsExactly("a/a", "a/b/c");
        assertThat(listNames(base + "/zzz")).isEmpty();
        try (Stream<ObjectInfo> s = store().list(base + "/b")) {
            assertThat(s.findFirst()).hasValueSatisfying(i -> assertThat(i.size()).isEqualTo(1));
        }
    }

    @Test
    void listingAPrefixThatClimbsOutOfTheRepositoryFindsNothing() {
        assertThat(listNames("../")).isEmpty();
        assertThat(listNames("/")).isEmpty();
        assertThatThrownBy(() -> new ObjectKey("../escape")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new ObjectKey("a/../../escape")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void deleteRemovesKeysInBatchesAndIgnoresMissingOnes() {
        List<ObjectKey> keys = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            ObjectKey k = key("d/" + i);
            store().put(k, new ByteArrayInputStream(new byte[]{(byte) i}));
            keys.add(k);
        }
        store().put(key("keep"), new ByteArrayInputStream(new byte[]{1}));
        keys.add(key("d/never-written"));
        keys.add(key("also/missing"));

        store().delete(keys);
        store().delete(List.of());

        assertThat(listNames(base + "/")).containsExactly("keep");
        assertThat(store().stat(key("d/3"))).isEmpty();
    }

    @Test
    void manyParallelPutsStoreEveryObjectIntact() throws Exception {
        int n = 24;
        List<byte[]> contents = new ArrayList<>();
        List<Callable<ObjectInfo>> tasks = new ArrayList<>();
        Random sizes = new Random(42);
        for (int i = 0; i < n; i++) {
            int size = i % 8 == 0 ? PART + sizes.nextInt(100_000) : sizes.nextInt(300_000);
            byte[] data = givenBytes(size, 1000 + i);
            contents.add(data);
            int idx = i;
            tasks.add(() -> store().put(key("p/" + idx), new ByteArrayInputStream(data)));
        }
        for (Future<ObjectInfo> f : runAll(tasks)) {
            f.get();
        }

        for (int i = 0; i < n; i++) {
            assertSameBytes(readAll(store().get(key("p/" + i))), contents.get(i));
        }
    }

    @ParameterizedTest(name = "fails after {0} bytes")
    @MethodSource("failurePoints")
    void aFailingSourceLeavesNothingVisible(int failAfter) {
        InputStream failing = failingAfter(failAfter, new IllegalStateException("source broke"));

        assertThatThrownBy(() -> store().put(key("broken"), failing)).hasMessageContaining("source broke");
        assertThat(store().stat(key("broken"))).isEmpty();
        assertThat(listNames(base + "/")).isEmpty();
        assertNoUnfinishedWrites();
    }

    static Stream<Integer> failurePoints() {
        return Stream.of(10, 2 * PART + 100);
    }

    @Test
    void aSourceIoErrorIsReportedAsSuch() {
        InputStream failing = new InputStream() {
            @Override
            public int read() throws IOException {
                throw new IOException("disk gone");
            }
        };

        assertThatThrownBy(() -> store().put(key("io"), failing))
                .isInstanceOfSatisfying(PgwardenException.class, e -> {
                    assertThat(e.errorCode()).isEqualTo(ErrorCode.REPO_SOURCE_FAILED);
                    assertThat(e.getMessage()).contains("disk gone").contains(key("io").value());
                });
        assertThat(store().stat(key("io"))).isEmpty();
        assertNoUnfinishedWrites();
    }

    @Test
    void theReadOnlyViewReadsButRefusesWrites() throws IOException {
        store().put(key("ro"), new ByteArrayInputStream(new byte[]{42}));
        ObjectStore view = store().readOnly();

        assertThat(readAll(view.get(key("ro")))).containsExactly(42);
        assertThat(view.stat(key("ro"))).isPresent();
        for (Runnable write : List.<Runnable>of(
                () -> view.put(key("ro"), InputStream.nullInputStream()),
                () -> view.create(key("new"), InputStream.nullInputStream()),
                () -> view.delete(List.of(key("ro"))))) {
            assertThatThrownBy(write::run).isInstanceOfSatisfying(PgwardenException.class,
                    e -> assertThat(e.errorCode()).isEqualTo(ErrorCode.REPO_READ_ONLY));
        }
        view.close();
        assertThat(store().stat(key("ro"))).isPresent();
    }

    // --- helpers -------------------------------------------------------------------------------

    protected List<String> listNames(String prefix) {
        try (Stream<ObjectInfo> s = store().list(prefix)) {
            return s.map(i -> i.key().value().startsWith(base + "/")
                    ? i.key().value().substring(base.length() + 1) : i.key().value()).toList();
        }
    }

    /** Compares by length and digest, so a failure prints two hashes rather than megabytes. */
    protected static void assertSameBytes(byte[] actual, byte[] expected) {
        assertThat(actual.length).as("length").isEqualTo(expected.length);
        assertThat(sha256(actual)).as("SHA-256 of the bytes read back").isEqualTo(sha256(expected));
    }

    protected static byte[] givenBytes(int size, long seed) {
        byte[] b = new byte[size];
        new Random(seed).nextBytes(b);
        return b;
    }

    protected static byte[] readAll(InputStream in) throws IOException {
        try (in) {
            return in.readAllBytes();
        }
    }

    protected static String sha256(byte[] data) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static byte[] slice(byte[] data, int from, int len) {
        return java.util.Arrays.copyOfRange(data, from, from + len);
    }

    /** A source that yields random bytes, then throws {@code failure} once {@code after} bytes were read. */
    protected static InputStream failingAfter(int after, RuntimeException failure) {
        return new InputStream() {
            private final Random r = new Random(9);
            private int served;

            @Override
            public int read() {
                byte[] one = new byte[1];
                return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
            }

            @Override
            public int read(byte[] b, int off, int len) {
                if (served >= after) {
                    throw failure;
                }
                int n = Math.min(len, after - served);
                for (int i = 0; i < n; i++) {
                    b[off + i] = (byte) r.nextInt();
                }
                served += n;
                return n;
            }
        };
    }

    private static <T> List<Future<T>> runAll(List<Callable<T>> tasks) throws InterruptedException {
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            return pool.invokeAll(tasks);
        } finally {
            pool.shutdown();
        }
    }
}
