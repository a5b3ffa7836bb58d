package io.stapled.admin;

/**
 * One frontend's figures for {@code show stat}. The assembly implements it over the frontend's
 * counters; -1 means "not measured", printed 0 where HAProxy prints a number.
 */
public interface FrontendStats {

    String name();

    /** {@code http} or {@code tcp}. */
    String mode();

    /** The backend it sends to, or null. */
    default String backend() {
        return null;
    }

    /** Every backend it can send to: the default one and those its routes name. */
    default java.util.List<String> backends() {
        return backend() == null ? java.util.List.of() : java.util.List.of(backend());
    }

    /** {@code OPEN}, or {@code STOP} while shutting down. */
    default String status() {
        return "OPEN";
    }

    default long currentSessions() {
        return -1;
    }

    default long maxSessions() {
        return -1;
    }

    default long sessionLimit() {
        return -1;
    }

    default long totalSessions() {
        return -1;
    }

    default long bytesIn() {
        return -1;
    }

    default long bytesOut() {
        return -1;
    }

    /** Invalid requests (400, 408, 431...). */
    default long requestErrors() {
        return -1;
    }

    /** New sessions (client connections) over the last second. */
    default long sessionRate() {
        return -1;
    }

    /** The highest session rate seen. */
    default long sessionRateMax() {
        return -1;
    }

    /** HTTP requests over the last second. */
    default long requestRate() {
        return -1;
    }

    /** The highest request rate seen. */
    default long requestRateMax() {
        return -1;
    }

    default long totalRequests() {
        return -1;
    }

    /** HTTP responses by class: index 1 to 5 for 1xx to 5xx, 0 for other; null if unknown. */
    default long[] httpResponses() {
        return null;
    }

    default long totalConnections() {
        return -1;
    }

    /**
     * A frontend known by its name, mode and backend, with live session counters.
     *
     * @param limit the configured connection cap, or -1
     */
    static FrontendStats of(String name, String mode, String backend, java.util.function.LongSupplier current,
                            java.util.function.LongSupplier total, long limit) {
        return new FrontendStats() {
            @Override
            public String name() {
                return name;
            }

            @Override
            public String mode() {
                return mode;
            }

            @Override
            public String backend() {
                return backend;
            }

            @Override
            public long currentSessions() {
                return current.getAsLong();
            }

            @Override
            public long totalSessions() {
                return total.getAsLong();
            }

            @Override
            public long sessionLimit() {
                return limit;
            }
        };
    }
}
