package io.stapled.ocsp;

import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.Locale;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * HAProxy's {@code <OCSP-UPDATE>} line, one per fetch (scheduled or forced), on a logger of its own so
 * operators can route it apart from the engine's other messages: HAProxy 3.x's {@code -:- [<date>]
 * <OCSP-UPDATE> <path> <status> "<status text>[ (<error>)]" <failures> <successes>} (its OCSP update
 * log format, {@code %ci:%cp [%tr] %ft ...}, with no client behind the request), so that a script
 * reading HAProxy's line reads this one.
 */
final class OcspUpdateLog {
    /** The logger's name; route or silence it in the logging configuration. */
    static final String LOGGER = "stapled.ocsp-update";
    private static final Logger log = LoggerFactory.getLogger(LOGGER);
    /** HAProxy's {@code %tr}: the local date with milliseconds. */
    private static final DateTimeFormatter DATE = DateTimeFormatter.ofPattern("dd/MMM/yyyy:HH:mm:ss.SSS", Locale.US);

    private OcspUpdateLog() { }

    /** Logs the outcome of the fetch that just ended, from the certificate's recorded state. */
    static void fetched(ManagedCertificate mc, Instant at) {
        if (!log.isInfoEnabled()) {
            return;
        }
        log.info(line(mc, at, ZoneId.systemDefault()));
    }

    static String line(ManagedCertificate mc, Instant at, ZoneId zone) {
        UpdateResult r = mc.lastResult();
        String path = mc.subject().certFile() != null ? mc.subject().certFile().toString() : mc.id();
        StringBuilder sb = new StringBuilder("-:- [").append(DATE.format(at.atZone(zone))).append("] <OCSP-UPDATE> ")
                .append(path).append(' ').append(r.code())
                .append(" \"").append(r.text());
        String error = mc.lastError();
        if (r != UpdateResult.OK && error != null) {
            sb.append(" (").append(error.replace('\n', ' ').replace('"', '\'')).append(')');
        }
        return sb.append("\" ").append(mc.failures()).append(' ').append(mc.successes()).toString();
    }
}
