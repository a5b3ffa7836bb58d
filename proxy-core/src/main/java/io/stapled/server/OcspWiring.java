package io.stapled.server;

import java.time.Clock;
import java.time.Duration;
import java.util.List;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.stapled.config.FleetConfig;
import io.stapled.config.OcspConfig;
import io.stapled.fleet.RedisFleet;
import io.stapled.ocsp.OcspManager;
import io.stapled.ocsp.OcspSettings;
import io.stapled.tls.LoadedCertificate;

/**
 * Start-up checks and waits around the OCSP engine. The certificates are bound to their managed staples
 * as they load: the engine is the {@link io.stapled.ocsp.StapleSlots} the TLS side loads them with.
 */
final class OcspWiring {
    private static final Logger log = LoggerFactory.getLogger(OcspWiring.class);

    private OcspWiring() { }

    /**
     * Fleet mode's store, connected and given to the engine being built as its shared staples, or null
     * without {@code fleet:}. Wrong credentials stop start-up here; an unreachable Redis does not.
     */
    static RedisFleet joinFleet(FleetConfig fleet, Clock clock, OcspManager.Builder engine) {
        if (fleet == null) {
            return null;
        }
        RedisFleet store = new RedisFleet(fleet, clock);
        store.connect();
        engine.shared(store);
        return store;
    }

    /**
     * A certificate that names an OCSP responder but whose issuer cannot be found can never be
     * stapled; that is a deployment mistake, so start-up refuses it rather than serving silently
     * without staples.
     */
    static void checkIssuers(List<LoadedCertificate> certificates, OcspSettings settings) {
        for (LoadedCertificate c : certificates) {
            if (c.ocspSubject().missingIssuer(settings)) {
                throw new StartupException(c.source() + ": missing issuer certificate for OCSP: add it to the"
                        + " chain in the file, write it to " + c.layout().sibling(c.source(), ".issuer").getFileName()
                        + " or put its chain in global.issuers_chain_path (or disable OCSP for this certificate)");
            }
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
