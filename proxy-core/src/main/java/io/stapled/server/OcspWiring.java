package io.stapled.server;

import java.net.URI;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.stapled.config.OcspConfig;
import io.stapled.ocsp.OcspManager;
import io.stapled.ocsp.OcspSubject;
import io.stapled.ocsp.StapleSlot;
import io.stapled.tls.LoadedCertificate;

/** Connects the certificates the TLS side loaded to the OCSP engine that keeps their staples. */
final class OcspWiring {
    private static final Logger log = LoggerFactory.getLogger(OcspWiring.class);

    private OcspWiring() { }

    /**
     * A certificate that names an OCSP responder but whose issuer cannot be found can never be
     * stapled; that is a deployment mistake, so start-up refuses it rather than serving silently
     * without staples.
     */
    static void checkIssuers(List<LoadedCertificate> certificates, OcspConfig config) {
        if (!config.settings().enabled()) {
            return;
        }
        for (LoadedCertificate c : certificates) {
            boolean wantsStaple = c.ocsp().enabled() && (c.ocspUrl() != null || c.ocsp().responder() != null
                    || config.settings().responderOverride() != null);
            if (wantsStaple && c.issuer() == null) {
                throw new StartupException(c.source() + ": missing issuer certificate for OCSP: add it to the"
                        + " chain in the file or write it to " + c.source().getFileName() + ".issuer"
                        + " (or disable OCSP for this certificate)");
            }
        }
    }

    /**
     * Registers every certificate. The same file loaded by two frontends is one managed
     * certificate; the second frontend's slot mirrors the first.
     */
    static void register(OcspManager manager, List<LoadedCertificate> certificates, OcspConfig config) {
        Map<String, StapleSlot> managed = new HashMap<>();
        for (LoadedCertificate c : certificates) {
            String id = c.source().toString();
            StapleSlot first = managed.putIfAbsent(id, c.stapleSlot());
            if (first != null) {
                first.addListener(c.stapleSlot()::set);
                c.stapleSlot().set(first.current());
                continue;
            }
            URI override = c.ocsp().responder();
            boolean enabled = config.settings().enabled() && c.ocsp().enabled();
            manager.manage(new OcspSubject(id, c.leaf(), c.issuer(), c.source(), override, enabled, c.stapleSlot()));
        }
    }

    static void startAndWait(OcspManager manager, OcspConfig config) {
        manager.start();
        Duration wait = config.startupWait();
        if (!wait.isZero() && !manager.awaitInitialRound(wait)) {
            log.warn("OCSP: not every staple was ready after startup_wait {}; opening listeners anyway,"
                    + " the rest are stapled as they arrive", wait);
        }
        if (config.settings().mustStapleRequired()) {
            try {
                manager.requireMustStaple();
            } catch (RuntimeException e) {
                throw new StartupException(e.getMessage(), e);
            }
        }
    }
}
