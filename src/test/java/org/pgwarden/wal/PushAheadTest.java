package org.pgwarden.wal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.pgwarden.common.ErrorCode;
import org.pgwarden.common.PgwardenException;
import org.pgwarden.metrics.MeterNames;
import org.pgwarden.testing.RecordingMetrics;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PushAheadTest {
    @TempDir
    Path dir;
    private final List<String> pushed = new CopyOnWriteArrayList<>();
    private final AtomicBoolean repositoryDown = new AtomicBoolean();
    private volatile CountDownLatch gate = new CountDownLatch(0);
    private final RecordingMetrics metrics = new RecordingMetrics();
    private PushAhead pushAhead;

    /** A store that records pushes, can be held at a gate, and can be "down". */
    private WalPush.Result fakePush(Path file) {
        try {
            gate.await(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (repositoryDown.get()) {
            throw new PgwardenException(ErrorCode.REPO_UNREACHABLE, "repository down");
        }
        pushed.add(file.getFileName().toString());
        return new WalPush.Result(file.getFileName().toString(), false, 16 << 20, "00");
    }

    private PushAhead givenPushAhead(int parallel, int limit) throws IOException {
        Files.createDirectories(dir.resolve("pg_wal/archive_status"));
        pushAhead = new PushAhead(dir.resolve("pg_wal"), this::fakePush, parallel, limit, metrics, Clock.systemUTC());
        return pushAhead;
    }

    private void givenReady(String... names) throws IOException {
        for (String n : names) {
            Files.writeString(dir.resolve("pg_wal").resolve(n), "x");
            Files.createFile(dir.resolve("pg_wal/archive_status").resolve(n + ".ready"));
        }
    }

    private void givenDone(String name) throws IOException {
        Files.move(dir.resolve("pg_wal/archive_status").resolve(name + ".ready"),
                dir.resolve("pg_wal/archive_status").resolve(name + ".done"));
    }

    private void awaitPushed(int n) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (pushed.size() < n && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
    }

    /**
     * Until no push ahead is queued or in flight. The fake records a push before it returns, and
     * the worker completes the push's entry only after that: a request in between finds it in
     * flight (WAITED), so seeing it in {@code pushed} is not enough.
     */
    private void awaitLookAheadFinished() throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        do {
            pushAhead.scan(); // counts the entries not completed yet into the queue gauge
            if (Double.valueOf(0.0).equals(metrics.gauge(MeterNames.WAL_PUSH_AHEAD_QUEUE))) {
                return;
            }
            Thread.sleep(5);
        } while (System.nanoTime() < deadline);
    }

    @AfterEach
    void stop() {
        if (pushAhead != null) {
            gate.countDown();
            pushAhead.stop(Duration.ofSeconds(5));
        }
    }

    @Test
    void readySegmentsArePushedAheadAndARequestAnswersAtOnce() throws Exception {
        givenPushAhead(2, 16);
        givenReady("000000010000000000000001", "000000010000000000000002");
        pushAhead.scan();
        awaitPushed(2);
        awaitLookAheadFinished();
        assertThat(pushAhead.request(dir.resolve("pg_wal/000000010000000000000001")))
                .isEqualTo(PushAhead.Answer.PUSHED_AHEAD);
        assertThat(pushed).hasSize(2);
        assertThat(metrics.gauge(MeterNames.WAL_READY_FILES)).isEqualTo(2.0);
    }

    @Test
    void historyFilesGoFirstThenByName() throws Exception {
        givenPushAhead(1, 16);
        givenReady("000000020000000000000005", "000000010000000000000004.partial", "00000002.history");
        pushAhead.scan();
        awaitPushed(3);
        assertThat(pushed).containsExactly("00000002.history", "000000010000000000000004.partial",
                "000000020000000000000005");
    }

    @Test
    void aRequestForASegmentInFlightWaitsForIt() throws Exception {
        givenPushAhead(1, 16);
        gate = new CountDownLatch(1);
        givenReady("000000010000000000000001");
        pushAhead.scan();
        Thread.sleep(50);
        Thread release = new Thread(() -> {
            sleep(100);
            gate.countDown();
        });
        release.start();
        assertThat(pushAhead.request(dir.resolve("pg_wal/000000010000000000000001")))
                .isEqualTo(PushAhead.Answer.WAITED);
        assertThat(pushed).containsExactly("000000010000000000000001");
    }

    @Test
    void anUnknownSegmentIsPushedOnRequestWithoutQueueingBehindLookAhead() throws Exception {
        givenPushAhead(1, 16);
        givenReady("000000010000000000000007");
        assertThat(pushAhead.request(dir.resolve("pg_wal/000000010000000000000007")))
                .isEqualTo(PushAhead.Answer.PUSHED);
        pushAhead.scan();
        Thread.sleep(50);
        assertThat(pushed).containsExactly("000000010000000000000007"); // not pushed twice
    }

    @Test
    void aRequestForAFileNoScanSawYetStartsTheLookAheadAtOnce() throws Exception {
        // A backlog PostgreSQL asks for before the next scheduled scan: the files behind the one
        // asked for are queued by the request, not at the next tick.
        givenPushAhead(2, 16);
        givenReady("000000010000000000000001", "000000010000000000000002", "000000010000000000000003");
        gate = new CountDownLatch(1);
        CompletableFuture<PushAhead.Answer> answer = CompletableFuture.supplyAsync(
                () -> pushAhead.request(dir.resolve("pg_wal/000000010000000000000001")));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!Double.valueOf(3.0).equals(metrics.gauge(MeterNames.WAL_PUSH_AHEAD_QUEUE))
                && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        // the one asked for (in flight on the request's thread) and the two behind it, with no scan run
        assertThat(metrics.gauge(MeterNames.WAL_PUSH_AHEAD_QUEUE)).isEqualTo(3.0);
        gate.countDown();
        assertThat(answer.get(10, TimeUnit.SECONDS)).isEqualTo(PushAhead.Answer.PUSHED);
        awaitPushed(3);
        assertThat(pushed).containsExactlyInAnyOrder("000000010000000000000001", "000000010000000000000002",
                "000000010000000000000003");
    }

    @Test
    void lookAheadIsBoundedByTheLimit() throws Exception {
        givenPushAhead(1, 3);
        gate = new CountDownLatch(1);
        givenReady("000000010000000000000001", "000000010000000000000002", "000000010000000000000003",
                "000000010000000000000004", "000000010000000000000005");
        pushAhead.scan();
        assertThat(metrics.gauge(MeterNames.WAL_PUSH_AHEAD_QUEUE)).isEqualTo(3.0);
        gate.countDown();
        awaitPushed(3);
        Thread.sleep(50);
        assertThat(pushed).hasSize(3);
        pushAhead.scan();
        awaitPushed(5);
        assertThat(pushed).hasSize(5);
    }

    @Test
    void doneFilesAreForgottenSoARepeatedRequestPushesAgain() throws Exception {
        givenPushAhead(1, 16);
        givenReady("000000010000000000000001");
        pushAhead.scan();
        awaitPushed(1);
        awaitLookAheadFinished();
        givenDone("000000010000000000000001");
        pushAhead.scan();
        // After a crash PostgreSQL may ask again; the store's duplicate check answers that.
        assertThat(pushAhead.request(dir.resolve("pg_wal/000000010000000000000001")))
                .isEqualTo(PushAhead.Answer.PUSHED);
        assertThat(pushed).hasSize(2);
    }

    @Test
    void aFailureIsReportedCountedAndRetriedOnTheNextRequest() throws Exception {
        givenPushAhead(1, 16);
        repositoryDown.set(true);
        givenReady("000000010000000000000001");
        pushAhead.scan();
        Thread.sleep(100);
        assertThatThrownBy(() -> pushAhead.request(dir.resolve("pg_wal/000000010000000000000001")))
                .isInstanceOfSatisfying(PgwardenException.class,
                        e -> assertThat(e.errorCode()).isEqualTo(ErrorCode.REPO_UNREACHABLE));
        assertThat(metrics.counter(MeterNames.WAL_PUSH_FAILURES, "reason", "repo_unreachable")).isEqualTo(2.0);
        repositoryDown.set(false);
        assertThat(pushAhead.request(dir.resolve("pg_wal/000000010000000000000001")))
                .isEqualTo(PushAhead.Answer.PUSHED);
        assertThat(pushed).containsExactly("000000010000000000000001");
    }

    @Test
    void aFileOutsideTheWatchedDirectoryIsPushedAsItIs() throws Exception {
        givenPushAhead(1, 16);
        Path other = Files.createDirectories(dir.resolve("elsewhere")).resolve("000000010000000000000001");
        Files.writeString(other, "x");
        assertThat(pushAhead.request(other)).isEqualTo(PushAhead.Answer.PUSHED);
        assertThat(pushAhead.request(other)).isEqualTo(PushAhead.Answer.PUSHED);
        assertThat(pushed).hasSize(2);
    }

    @Test
    void neverTouchesStatusFiles() throws Exception {
        givenPushAhead(2, 16);
        givenReady("000000010000000000000001", "000000010000000000000002");
        pushAhead.scan();
        awaitPushed(2);
        pushAhead.request(dir.resolve("pg_wal/000000010000000000000001"));
        try (var s = Files.list(dir.resolve("pg_wal/archive_status"))) {
            assertThat(s.map(p -> p.getFileName().toString()).sorted().toList())
                    .containsExactly("000000010000000000000001.ready", "000000010000000000000002.ready");
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
