package io.stapled.ocsp;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * HAProxy's {@code <OCSP-UPDATE>} line, one per fetch (scheduled or forced), on a logger of its own so
 * operators can route it apart from the engine's other messages: {@code <OCSP-UPDATE> <path> <status>
 * "<status text>[ (<error>)]" <failures> <successes>}, the message HAProxy 2.8+ sends (its log header,
 * the date, comes from the logging layout here).
 */
final class OcspUpdateLog {
    /** The logger's name; route or silence it in the logging configuration. */
    static final String LOGGER = "stapled.ocsp-update";
    private static final Logger log = LoggerFactory.getLogger(LOGGER);

    private OcspUpdateLog() { }

    /** Logs the outcome of the fetch that just ended, from the certificate's recorded state. */
    static void fetched(ManagedCertificate mc) {
        if (!log.isInfoEnabled()) {
            return;
        }
        log.info(line(mc));
    }

    static String line(ManagedCertificate mc) {
        UpdateResult r = mc.lastResult();
        String path = mc.subject().certFile() != null ? mc.subject().certFile().toString() : mc.id();
        StringBuilder sb = new StringBuilder("<OCSP-UPDATE> ").append(path).append(' ').append(r.code())
                .append(" \"").append(r.text());
        String error = mc.lastError();
        if (r != UpdateResult.OK && error != null) {
            sb.append(" (").append(error.replace('\n', ' ').replace('"', '\'')).append(')');
        }
        return sb.append("\" ").append(mc.failures()).append(' ').append(mc.successes()).toString();
    }
}
