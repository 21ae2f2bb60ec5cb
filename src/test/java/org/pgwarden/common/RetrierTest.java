package org.pgwarden.common;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class RetrierTest {
    private final List<Duration> sleeps = new ArrayList<>();
    private final List<String> reported = new ArrayList<>();
    private final RetryPolicy policy = new RetryPolicy(4, Duration.ofMillis(100), Duration.ofMillis(250), 2.0);
    private final Retrier retrier = new Retrier(policy,
            (what, attempt, error, pause) -> reported.add(attempt + ":" + error.errorCode().id() + ":" + pause.toMillis()),
            sleeps::add, () -> 1.0);

    @Test
    void retriesRetriableErrorsUntilSuccess() {
        AtomicInteger calls = new AtomicInteger();
        String result = retrier.run("reach it", () -> {
            if (calls.incrementAndGet() < 3) {
                throw new PgwardenException(ErrorCode.REPO_UNREACHABLE, "503 slow down");
            }
            return "done";
        });
        assertThat(result).isEqualTo("done");
        assertThat(calls).hasValue(3);
        assertThat(sleeps).containsExactly(Duration.ofMillis(100), Duration.ofMillis(200));
        assertThat(reported).containsExactly("1:PGW030:100", "2:PGW030:200");
    }

    @Test
    void backoffIsCappedAndListsEveryAttemptWhenExhausted() {
        assertThatThrownBy(() -> retrier.run("reach the bucket", () -> {
            throw new PgwardenException(ErrorCode.REPO_UNREACHABLE, "connection reset");
        })).isInstanceOfSatisfying(PgwardenException.class, e -> {
            assertThat(e.errorCode()).isEqualTo(ErrorCode.REPO_UNREACHABLE);
            assertThat(e.getMessage()).contains("unable to reach the bucket after 4 attempts")
                    .contains("attempt 1: [PGW030] connection reset").contains("attempt 4: [PGW030] connection reset");
        });
        assertThat(sleeps).containsExactly(Duration.ofMillis(100), Duration.ofMillis(200), Duration.ofMillis(250));
    }

    @Test
    void permanentErrorsFailAtOnce() {
        AtomicInteger calls = new AtomicInteger();
        assertThatThrownBy(() -> retrier.run("read", () -> {
            calls.incrementAndGet();
            throw new PgwardenException(ErrorCode.REPO_ACCESS_DENIED, "access denied (403)");
        })).hasMessage("access denied (403)");
        assertThat(calls).hasValue(1);
        assertThat(sleeps).isEmpty();
        assertThat(reported).containsExactly("1:PGW031:0");
    }

    @Test
    void unexpectedExceptionsAreInternalAndNotRetried() {
        AtomicInteger calls = new AtomicInteger();
        assertThatThrownBy(() -> retrier.run("compute", () -> {
            calls.incrementAndGet();
            throw new IllegalStateException("boom");
        })).isInstanceOfSatisfying(PgwardenException.class,
                e -> assertThat(e.errorCode()).isEqualTo(ErrorCode.INTERNAL));
        assertThat(calls).hasValue(1);
    }

    @Test
    void jitterStaysBelowTheCeiling() {
        List<Duration> jittered = new ArrayList<>();
        Retrier r = new Retrier(policy, (w, a, e, p) -> { }, jittered::add, () -> 0.5);
        assertThatThrownBy(() -> r.run("x", () -> {
            throw new PgwardenException(ErrorCode.PG_UNREACHABLE, "refused");
        }));
        assertThat(jittered).containsExactly(Duration.ofMillis(50), Duration.ofMillis(100), Duration.ofMillis(125));
    }
}
