package io.stapled.tls;

import static io.stapled.text.OneLine.oneLine;

import java.net.URI;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;

import io.stapled.config.ClientAuthConfig;
import io.stapled.ocsp.CertIdentity;
import io.stapled.ocsp.CertificateFacts;
import io.stapled.ocsp.HashAlgorithm;
import io.stapled.ocsp.OcspHttpClient;
import io.stapled.ocsp.OcspRequest;
import io.stapled.ocsp.OcspSettings;
import io.stapled.ocsp.OcspVerifier;
import io.stapled.ocsp.Staple;
import io.stapled.ocsp.VerifiedResponse;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * OCSP for client certificates ({@code client_auth.ocsp: soft|hard}), with the engine's request
 * building, HTTP client and verifier. The handshake never waits for the network: it reads a cache of
 * verified answers keyed by CertID; a certificate with no fresh answer yet starts a fetch on a
 * worker thread and is answered per the mode — {@code soft} lets it in, {@code hard} refuses it
 * (the client's next attempt, once the fetch has answered, is judged by the answer). A handshake
 * that would be parked until the responder answers would hold the event loop's connection slots for
 * as long as the responder takes, or never finish when it is down; answering per the mode keeps the
 * handshake path free of I/O and of waiting.
 *
 * <p>A cached answer is used until its {@code nextUpdate}; past half its validity a refresh is started
 * in the background while it is still used. A failed fetch is remembered for {@value #RETRY_SECONDS}
 * seconds so a down responder is not asked on every handshake.
 */
final class ClientOcspChecker implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ClientOcspChecker.class);
    static final long RETRY_SECONDS = 10;

    /** One answer, or a failure to get one (status null). */
    private record Entry(Staple.CertStatus status, Instant thisUpdate, Instant nextUpdate, String failure,
                         Instant retryAfter) {
        boolean freshAt(Instant now) {
            return status != null && nextUpdate != null && now.isBefore(nextUpdate);
        }
    }

    private final ClientAuthConfig.OcspMode mode;
    private final OcspHttpClient http;
    private final OcspVerifier verifier;
    private final Map<CertIdentity, Entry> answers = new ConcurrentHashMap<>();
    private final Map<CertIdentity, Boolean> fetching = new ConcurrentHashMap<>();
    private final ExecutorService workers = Executors.newFixedThreadPool(2, r -> {
        Thread t = new Thread(r, "stapled-client-ocsp");
        t.setDaemon(true);
        return t;
    });

    ClientOcspChecker(ClientAuthConfig.OcspMode mode) {
        OcspSettings s = OcspSettings.defaults();
        this.mode = mode;
        this.http = OcspHttpClient.of(s);
        this.verifier = new OcspVerifier(s.clockSkew());
    }

    /**
     * Null when {@code leaf} (issued by {@code issuer}) may pass, else why not. On the event loop: a
     * map read, and at most a task handed to the workers.
     */
    String check(X509Certificate leaf, X509Certificate issuer) {
        CertIdentity id = CertIdentity.of(leaf, issuer, HashAlgorithm.SHA1);
        Instant now = Instant.now();
        Entry e = answers.get(id);
        if (e != null && e.freshAt(now)) {
            Duration validity = Duration.between(e.thisUpdate, e.nextUpdate);
            if (now.isAfter(e.thisUpdate.plus(validity.dividedBy(2)))) {
                fetch(id, leaf, issuer);
            }
            return switch (e.status) {
                case GOOD -> null;
                case REVOKED -> "revoked (OCSP)";
                case UNKNOWN -> mode == ClientAuthConfig.OcspMode.HARD ? "OCSP status unknown" : null;
            };
        }
        if (e == null || e.status != null || now.isAfter(e.retryAfter)) {
            fetch(id, leaf, issuer);
        }
        if (mode == ClientAuthConfig.OcspMode.SOFT) {
            return null;
        }
        return e != null && e.failure != null ? "no OCSP answer: " + e.failure
                : "OCSP status not known yet (asked the responder; try again)";
    }

    private void fetch(CertIdentity id, X509Certificate leaf, X509Certificate issuer) {
        if (fetching.putIfAbsent(id, Boolean.TRUE) != null) {
            return;
        }
        try {
            workers.execute(() -> {
                try {
                    answers.put(id, ask(id, leaf, issuer));
                } finally {
                    fetching.remove(id);
                }
            });
        } catch (RejectedExecutionException closed) {
            fetching.remove(id);
        }
    }

    private Entry ask(CertIdentity id, X509Certificate leaf, X509Certificate issuer) {
        Instant retry = Instant.now().plusSeconds(RETRY_SECONDS);
        URI responder = CertificateFacts.ocspUrl(leaf);
        if (responder == null) {
            return new Entry(null, null, null, "the certificate names no OCSP responder", retry);
        }
        try {
            byte[] der = http.exchange(responder, OcspRequest.build(id, false, null).der());
            VerifiedResponse r = verifier.verify(der, id, issuer, Instant.now(), null);
            return new Entry(r.status(), r.thisUpdate(), r.nextUpdate(), null, null);
        } catch (Exception ex) {
            log.warn("client certificate {} serial {}: OCSP check at {} failed: {}",
                    leaf.getSubjectX500Principal().getName(), id.serialHex(), responder, oneLine(ex));
            return new Entry(null, null, null, oneLine(ex), retry);
        }
    }

    @Override
    public void close() {
        workers.shutdownNow();
    }
}
