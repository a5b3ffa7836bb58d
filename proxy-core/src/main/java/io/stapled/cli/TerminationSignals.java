package io.stapled.cli;

import java.util.concurrent.CountDownLatch;

import sun.misc.Signal;

/**
 * Turns SIGTERM and SIGINT into a normal return from {@link #await()}, so the graceful stop runs on
 * the main thread while logging and everything else still work, and the process then exits 0. A JVM
 * shutdown hook would race other hooks (the logging backend's among them) and exit 143.
 */
final class TerminationSignals {
    private final CountDownLatch signalled = new CountDownLatch(1);

    private TerminationSignals() { }

    static TerminationSignals install() {
        TerminationSignals s = new TerminationSignals();
        for (String name : new String[] {"TERM", "INT"}) {
            Signal.handle(new Signal(name), sig -> s.signalled.countDown());
        }
        return s;
    }

    void await() throws InterruptedException {
        signalled.await();
    }
}
