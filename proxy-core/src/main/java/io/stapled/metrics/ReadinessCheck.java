package io.stapled.metrics;

import java.time.Instant;
import java.util.List;

/** One reason the proxy may not be ready; asked on every {@code /readyz}. Must be quick and not block. */
@FunctionalInterface
public interface ReadinessCheck {
    /** Adds one line per problem found at {@code now} to {@code problems}; adds nothing when all is well. */
    void check(Instant now, List<String> problems);

    /**
     * Adds one line per thing worth knowing at {@code now} that does not make the proxy unready (an
     * expiring certificate); {@code /readyz} shows them under its status line either way.
     */
    default void details(Instant now, List<String> details) {
    }
}
