package org.pgwarden.common;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.DoubleSupplier;

/**
 * Runs an operation under a {@link RetryPolicy}. Whether a failure is worth another attempt is
 * decided here and only here, from {@link ErrorCode#retriable()}: adapters translate vendor
 * errors into {@link PgwardenException}s at the edge and never loop on their own.
 *
 * <p>Every failed attempt is reported to the {@link Listener} (logged and counted by the
 * caller); when attempts run out, the final exception's message lists each attempt.
 */
public final class Retrier {

    /** What an operation does; it may throw anything. */
    @FunctionalInterface
    public interface Operation<T> {
        T run() throws Exception;
    }

    /** Told about each failed attempt and the pause before the next one (zero when none follows). */
    @FunctionalInterface
    public interface Listener {
        void attemptFailed(String what, int attempt, PgwardenException error, Duration pause);
    }

    /** Sleeps; injected so tests do not wait. */
    @FunctionalInterface
    public interface Sleeper {
        void sleep(Duration d) throws InterruptedException;
    }

    private final RetryPolicy policy;
    private final Listener listener;
    private final Sleeper sleeper;
    private final DoubleSupplier random;

    public Retrier(RetryPolicy policy, Listener listener) {
        this(policy, listener, d -> Thread.sleep(d.toMillis()), () -> ThreadLocalRandom.current().nextDouble());
    }

    public Retrier(RetryPolicy policy, Listener listener, Sleeper sleeper, DoubleSupplier random) {
        this.policy = policy;
        this.listener = listener;
        this.sleeper = sleeper;
        this.random = random;
    }

    public RetryPolicy policy() {
        return policy;
    }

    /**
     * Runs {@code op}; retries it while it fails with a retriable error and attempts remain.
     *
     * @param what a short description for messages, e.g. {@code "connect to PostgreSQL at 'db:5432'"}
     */
    public <T> T run(String what, Operation<T> op) {
        List<String> attempts = new ArrayList<>();
        for (int attempt = 1; ; attempt++) {
            PgwardenException error;
            try {
                return op.run();
            } catch (Exception e) {
                if (e instanceof InterruptedException) {
                    Thread.currentThread().interrupt();
                }
                error = PgwardenException.of(e);
            }
            boolean again = error.errorCode().retriable() && attempt < policy.maxAttempts();
            Duration pause = again ? jittered(policy.ceilingAfter(attempt)) : Duration.ZERO;
            listener.attemptFailed(what, attempt, error, pause);
            attempts.add("attempt " + attempt + ": [" + error.errorCode().id() + "] " + error.getMessage());
            if (!again) {
                if (attempt == 1) {
                    throw error;
                }
                throw new PgwardenException(error.errorCode(),
                        "unable to " + what + " after " + attempt + " attempts:"
                                + System.lineSeparator() + "  " + String.join(System.lineSeparator() + "  ", attempts),
                        error.hint().orElse(null), error);
            }
            try {
                sleeper.sleep(pause);
            } catch (InterruptedException ie) {
                Thread.currentThread().interrupt();
                throw new PgwardenException(ErrorCode.CANCELLED,
                        "cancelled while waiting to retry: " + what, ie);
            }
        }
    }

    private Duration jittered(Duration ceiling) {
        return Duration.ofMillis((long) (ceiling.toMillis() * random.getAsDouble()));
    }
}
