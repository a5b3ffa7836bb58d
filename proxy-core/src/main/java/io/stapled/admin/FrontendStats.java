package io.stapled.admin;

/**
 * One frontend's figures for {@code show stat}. The assembly implements it over the frontend's
 * counters; -1 means "not known" and leaves the CSV field empty.
 */
public interface FrontendStats {

    String name();

    /** {@code http} or {@code tcp}. */
    String mode();

    /** The backend it sends to, or null. */
    default String backend() {
        return null;
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

    default long sessionRate() {
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
}
