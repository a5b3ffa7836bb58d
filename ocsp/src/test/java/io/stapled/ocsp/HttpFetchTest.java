package io.stapled.ocsp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.HttpURLConnection;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import com.sun.net.httpserver.HttpServer;

import io.stapled.ocsp.RefreshOutcome.Result;
import io.stapled.testkit.pki.IssuedCertificate;
import io.stapled.testkit.responder.OcspResponderServer;
import io.stapled.testkit.TestPki;

/** The HTTP side: GET vs POST, rate limit, size cap, outbound proxy, nonce. */
@Timeout(value = 20, unit = TimeUnit.SECONDS)
class HttpFetchTest {
    private final TestPki pki = new TestPki("Http");
    private OcspResponderServer responder;

    @BeforeEach
    void setUp() {
        responder = OcspResponderServer.builder(pki.ca).start();
    }

    @AfterEach
    void tearDown() {
        responder.close();
    }

    private static OcspSettings.Builder settings() {
        return OcspSettings.builder().persist(false).watchFiles(false).requestsPerSecond(1000);
    }

    private static RefreshOutcome fetchOnce(OcspSettings s, OcspSubject subject) throws Exception {
        try (OcspManager m = OcspManager.builder().settings(s).build()) {
            m.manage(subject);
            return m.refreshNow(subject.id()).get(5, TimeUnit.SECONDS);
        }
    }

    @Test
    void shortRequestsUseGetLongOnesAndGetDisabledUsePost() throws Exception {
        IssuedCertificate leaf = pki.leaf(responder.url());
        assertEquals(Result.UPDATED, fetchOnce(settings().build(), Subjects.of(leaf)).result());
        assertEquals(1, responder.getCount());
        assertEquals(0, responder.postCount());

        // a responder URL long enough that the GET form would pass 255 bytes
        URI longUri = URI.create(responder.url() + "x".repeat(200) + "/");
        OcspSubject longSubject = new OcspSubject("long", leaf.certificate(), pki.ca.certificate(), null, longUri,
                true);
        assertTrue(OcspHttpClient.getUrl(longUri, new byte[80]).length() > OcspHttpClient.MAX_GET_URL);
        assertEquals(Result.UPDATED, fetchOnce(settings().build(), longSubject).result());
        assertEquals(1, responder.postCount());

        assertEquals(Result.UPDATED, fetchOnce(settings().useGet(false).build(), Subjects.of(leaf)).result());
        assertEquals(2, responder.postCount());
        assertEquals(1, responder.getCount());
    }

    @Test
    void sha256CertIdAndNonceWork() throws Exception {
        IssuedCertificate leaf = pki.leaf(responder.url());
        RefreshOutcome o = fetchOnce(settings().hash(HashAlgorithm.SHA256).useNonce(true).build(), Subjects.of(leaf));
        assertEquals(Result.UPDATED, o.result(), o.detail());
    }

    @Test
    void requestsToOneResponderAreRateLimited() throws Exception {
        OcspSettings s = settings().requestsPerSecond(5).build(); // 200 ms apart
        try (OcspManager m = OcspManager.builder().settings(s).build()) {
            List<ManagedCertificate> certs = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                certs.add(m.manage(Subjects.of(pki.leaf(responder.url()))));
            }
            long t0 = System.nanoTime();
            CompletableFuture<?>[] all = certs.stream().map(c -> m.refreshNow(c.id())).toArray(CompletableFuture[]::new);
            CompletableFuture.allOf(all).get(5, TimeUnit.SECONDS);
            long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
            assertTrue(tookMs >= 550, "4 requests at 5/s took only " + tookMs + " ms");
            List<Instant> times = responder.requestTimes();
            assertEquals(4, times.size());
            // Requests are dispatched 200 ms apart; arrival of any single one can lag on a loaded
            // machine (a first connection is slower), so check the spread, not each gap.
            Duration spread = Duration.between(times.get(0), times.get(times.size() - 1));
            assertTrue(spread.toMillis() >= 450, "4 requests at 5/s arrived within " + spread);
            certs.forEach(c -> assertNotNull(c.staple()));
        }
    }

    @Test
    void oversizedResponseIsRefused() throws Exception {
        IssuedCertificate leaf = pki.leaf(responder.url());
        RefreshOutcome o = fetchOnce(settings().maxResponseSize(64).build(), Subjects.of(leaf));
        assertEquals(Result.FAILED, o.result());
        assertTrue(o.detail().contains("64-byte cap"), o.detail());
    }

    @Test
    void connectionRefusedIsAFailureNotACrash() throws Exception {
        IssuedCertificate leaf = pki.leaf("http://127.0.0.1:1/");
        RefreshOutcome o = fetchOnce(settings().connectTimeout(Duration.ofMillis(500)).build(), Subjects.of(leaf));
        assertEquals(Result.FAILED, o.result());
        assertTrue(o.detail().contains("127.0.0.1:1"), o.detail());
    }

    @Test
    void outboundHttpProxyIsUsed() throws Exception {
        // The certificate names a host that does not resolve; only the proxy can reach the responder.
        IssuedCertificate leaf = pki.leaf("http://ocsp.stapled.invalid/");
        AtomicInteger proxied = new AtomicInteger();
        HttpServer proxy = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 10);
        proxy.createContext("/", ex -> {
            try (ex) {
                proxied.incrementAndGet();
                URI target = URI.create(responder.url().replaceAll("/$", "") + ex.getRequestURI().getRawPath());
                HttpURLConnection c = (HttpURLConnection) target.toURL().openConnection(java.net.Proxy.NO_PROXY);
                c.setRequestMethod(ex.getRequestMethod());
                byte[] body;
                try (InputStream in = ex.getRequestBody()) {
                    body = in.readAllBytes();
                }
                if (body.length > 0) {
                    c.setDoOutput(true);
                    c.setRequestProperty("Content-Type", "application/ocsp-request");
                    try (OutputStream out = c.getOutputStream()) {
                        out.write(body);
                    }
                }
                byte[] answer;
                try (InputStream in = c.getInputStream()) {
                    answer = in.readAllBytes();
                }
                ex.sendResponseHeaders(c.getResponseCode(), answer.length);
                try (OutputStream out = ex.getResponseBody()) {
                    out.write(answer);
                }
            } catch (IOException e) {
                ex.sendResponseHeaders(502, -1);
            }
        });
        proxy.start();
        try {
            OcspSettings s = settings().httpProxy(OcspSettings.proxyAddress("127.0.0.1:" + proxy.getAddress().getPort())).build();
            RefreshOutcome o = fetchOnce(s, Subjects.of(leaf));
            assertEquals(Result.UPDATED, o.result(), o.detail());
            assertEquals(1, proxied.get());
            assertEquals(1, responder.requestCount());
        } finally {
            proxy.stop(0);
        }
    }

    @Test
    void aDifferentNonceIsRefusedWhenOneWasSent() throws Exception {
        IssuedCertificate leaf = pki.leaf(responder.url());
        responder.behaviour(TestPki.serial(leaf), OcspResponderServer.Behaviour.WRONG_NONCE);
        RefreshOutcome withNonce = fetchOnce(settings().useNonce(true).build(), Subjects.of(leaf));
        assertEquals(Result.REFUSED, withNonce.result());
        assertTrue(withNonce.detail().contains("nonce"), withNonce.detail());
        // without a nonce in the request there is nothing to compare: the response is fine
        assertEquals(Result.UPDATED, fetchOnce(settings().build(), Subjects.of(leaf)).result());
    }

    @Test
    void expiredDelegatedResponderIsRefused() throws Exception {
        IssuedCertificate expiredDelegate = io.stapled.testkit.pki.CertificateBuilder.subject("CN=Expired Responder")
                .issuer(pki.ca).ocspSigning()
                .validity(Instant.now().minus(Duration.ofDays(10)), Instant.now().minus(Duration.ofDays(1))).build();
        try (OcspResponderServer r = OcspResponderServer.builder(pki.ca).delegatedResponder(expiredDelegate).start()) {
            IssuedCertificate leaf = pki.leaf(r.url());
            r.defaultBehaviour(OcspResponderServer.Behaviour.DELEGATED);
            RefreshOutcome o = fetchOnce(settings().build(), Subjects.of(leaf));
            assertEquals(Result.REFUSED, o.result());
            assertTrue(o.detail().contains("not valid now"), o.detail());
        }
    }
}
