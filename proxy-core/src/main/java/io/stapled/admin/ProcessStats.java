package io.stapled.admin;

import java.time.Instant;

/**
 * Process-wide figures for {@code show info}. The assembly implements it over its counters; a value
 * of -1 means "not known" and leaves the line out.
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

    default boolean stopping() {
        return false;
    }

    /** Listening sockets. */
    default int listeners() {
        return -1;
    }

    /** Just the name, version and start time: everything else unknown. */
    static ProcessStats basic(String name, String version, Instant startTime) {
        return new ProcessStats() {
            @Override
            public String name() {
                return name;
            }

            @Override
            public String version() {
                return version;
            }

            @Override
            public Instant startTime() {
                return startTime;
            }
        };
    }
}
