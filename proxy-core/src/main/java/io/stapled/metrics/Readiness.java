package io.stapled.metrics;

import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * What {@code /readyz} answers: ready while the listeners are open and every {@link ReadinessCheck}
 * finds nothing wrong at the injected clock's now. The assembly calls {@link #listenersOpen(boolean)}
 * once its frontends are bound (and with false when it starts draining).
 */
public final class Readiness {
    private final Clock clock;
    private final List<ReadinessCheck> checks = new CopyOnWriteArrayList<>();
    private volatile boolean listenersOpen;

    public Readiness(Clock clock) {
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    /** True once every frontend listens; false before, and again while draining. */
    public void listenersOpen(boolean open) {
        this.listenersOpen = open;
    }

    public boolean listenersOpen() {
        return listenersOpen;
    }

    public void addCheck(ReadinessCheck check) {
        checks.add(Objects.requireNonNull(check, "check"));
    }

    /** One line per problem now; empty when ready. */
    public List<String> problems() {
        List<String> problems = new ArrayList<>();
        if (!listenersOpen) {
            problems.add("listeners are not open");
        }
        java.time.Instant now = clock.instant();
        for (ReadinessCheck check : checks) {
            try {
                check.check(now, problems);
            } catch (RuntimeException e) {
                problems.add("readiness check failed: " + e);
            }
        }
        return problems;
    }

    /** Lines that do not affect readiness ({@link ReadinessCheck#details}), shown by {@code /readyz}. */
    public List<String> details() {
        List<String> details = new ArrayList<>();
        java.time.Instant now = clock.instant();
        for (ReadinessCheck check : checks) {
            try {
                check.details(now, details);
            } catch (RuntimeException e) {
                details.add("readiness detail failed: " + e);
            }
        }
        return details;
    }

    public boolean isReady() {
        return problems().isEmpty();
    }
}
