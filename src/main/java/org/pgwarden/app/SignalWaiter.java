package org.pgwarden.app;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;
import sun.misc.Signal;

/**
 * Turns SIGTERM and SIGINT into an orderly stop. Handling the signals ourselves (instead of a
 * shutdown hook) lets the daemon finish its bounded shutdown and exit 0, as systemd expects from
 * a clean stop; a JVM killed through its hooks exits 143.
 */
final class SignalWaiter {
    private final CountDownLatch received = new CountDownLatch(1);
    private final AtomicReference<String> name = new AtomicReference<>();

    SignalWaiter install() {
        for (String s : new String[]{"TERM", "INT"}) {
            Signal.handle(new Signal(s), sig -> {
                name.compareAndSet(null, "SIG" + sig.getName());
                received.countDown();
            });
        }
        return this;
    }

    /** Blocks until a signal arrives; returns its name (e.g. {@code SIGTERM}). */
    String await() throws InterruptedException {
        received.await();
        return name.get();
    }
}
