package io.stapled.admin;

import java.time.Instant;

/**
 * Process-wide figures for {@code show info}. The assembly implements it over its counters; a value
 * of -1 means "not measured", which {@code show info} prints as 0 as HAProxy prints a counter it has
 * nothing for.
 */
public interface ProcessStats {

    String name();

    String version();

    /** Release date as HAProxy prints it ({@code 2026/11/24}), or null. */
    default String releaseDate() {
        return null;
    }

    Instant startTime();

    default long pid() {
        return ProcessHandle.current().pid();
    }

    /** Event-loop threads serving connections. */
    default int threads() {
        return -1;
    }

    default long maxConnections() {
        return -1;
    }

    default long currentConnections() {
        return -1;
    }

    default long cumulativeConnections() {
        return -1;
    }

    default long cumulativeRequests() {
        return -1;
    }

    default long currentSslConnections() {
        return -1;
    }

    default long cumulativeSslConnections() {
        return -1;
    }

    /** New connections over the last second. */
    default long connectionRate() {
        return -1;
    }

    /** New TLS handshakes over the last second. */
    default long sslRate() {
        return -1;
    }

    /** Full (not resumed) handshakes over the last second. */
    default long sslFrontendKeyRate() {
        return -1;
    }

    /** Percent of frontend TLS sessions resumed without a new key. */
    default long sslFrontendSessionReusePct() {
        return -1;
    }

    /** Bytes sent to clients, all frontends. */
    default long totalBytesOut() {
        return -1;
    }

    default boolean stopping() {
        return false;
    }

    /** Listening sockets. */
    default int listeners() {
        return -1;
    }

    /** Just the name, version and start time: everything else unknown. */
    static ProcessStats basic(String name, String version, Instant startTime) {
        return new Identity(name, version, startTime);
    }

    /**
     * Name, version and start time, with the figures summed over the frontends' (the process-wide
     * counters the assembly may not have yet): CurrConns, CumConns, Maxconn, Listeners, CumReq,
     * TotalBytesOut, ConnRate; every frontend terminates TLS, so the SSL connection figures are the same.
     */
    static ProcessStats summing(String name, String version, Instant startTime, int threads,
                                java.util.function.Supplier<java.util.List<FrontendStats>> frontends) {
        return new FrontendTotals(name, version, startTime, threads, frontends);
    }

    /** The process's identity and nothing else. */
    record Identity(String name, String version, Instant startTime) implements ProcessStats {
    }

    /** The identity plus the frontends' connection figures, summed when asked. */
    record FrontendTotals(String name, String version, Instant startTime, int threads,
                          java.util.function.Supplier<java.util.List<FrontendStats>> frontends)
            implements ProcessStats {
        @Override
        public long currentConnections() {
            return sum(FrontendStats::currentSessions);
        }

        @Override
        public long cumulativeConnections() {
            return sum(FrontendStats::totalSessions);
        }

        @Override
        public long maxConnections() {
            return sum(FrontendStats::sessionLimit);
        }

        @Override
        public long currentSslConnections() {
            return currentConnections();
        }

        @Override
        public long cumulativeSslConnections() {
            return cumulativeConnections();
        }

        @Override
        public long connectionRate() {
            return sumMeasured(FrontendStats::sessionRate);
        }

        @Override
        public long cumulativeRequests() {
            return sumMeasured(FrontendStats::totalRequests);
        }

        @Override
        public long totalBytesOut() {
            return sumMeasured(FrontendStats::bytesOut);
        }

        @Override
        public int listeners() {
            return frontends.get().size();
        }

        private long sum(java.util.function.ToLongFunction<FrontendStats> f) {
            long total = 0;
            for (FrontendStats fs : frontends.get()) {
                long v = f.applyAsLong(fs);
                if (v < 0) {
                    return -1;
                }
                total += v;
            }
            return total;
        }

        /** The sum over the frontends that measure it (TCP frontends count no requests), -1 if none does. */
        private long sumMeasured(java.util.function.ToLongFunction<FrontendStats> f) {
            long total = -1;
            for (FrontendStats fs : frontends.get()) {
                long v = f.applyAsLong(fs);
                if (v >= 0) {
                    total = Math.max(total, 0) + v;
                }
            }
            return total;
        }
    }
}
