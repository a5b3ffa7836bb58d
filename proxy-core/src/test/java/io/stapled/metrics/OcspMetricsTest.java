package io.stapled.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigInteger;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.stapled.config.AdminHttpConfig;
import io.stapled.config.HostPort;
import io.stapled.ocsp.OcspManager;
import io.stapled.ocsp.OcspSettings;
import io.stapled.ocsp.OcspSubject;
import io.stapled.ocsp.RefreshOutcome;
import io.stapled.testkit.pki.CertificateBuilder;
import io.stapled.testkit.pki.IssuedCertificate;
import io.stapled.testkit.responder.OcspResponderServer;
import io.stapled.testkit.responder.OcspResponderServer.Behaviour;
import io.stapled.testkit.MutableClock;
import io.stapled.testkit.Poll;
import io.stapled.testkit.TestPki;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The real OCSP engine against the real in-process responder, both on a clock the test moves; the
 * admin listener reports the per-certificate gauges and flips {@code /readyz}.
 */
@Timeout(20)
class OcspMetricsTest {
    private static final Duration WAIT = Duration.ofSeconds(5);
    private static final Duration VALIDITY = Duration.ofHours(4);

    private EventLoopGroup group;
    private MutableClock clock;
    private OcspResponderServer responder;
    private StapledMetrics metrics;
    private OcspManager manager;
    private AdminHttpServer admin;
    private AdminClient client;
    private IssuedCertificate plain;
    private IssuedCertificate mustStaple;

    @BeforeEach
    void start() {
        group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        // Whole seconds: OCSP times have no fractions, so expiries and ages come out exact.
        clock = new MutableClock(Instant.now().truncatedTo(ChronoUnit.SECONDS));
        IssuedCertificate ca = TestPki.INTERMEDIATE;
        responder = OcspResponderServer.builder(ca).clock(clock).validity(Duration.ZERO, VALIDITY).start();
        plain = CertificateBuilder.subject("CN=plain.test").issuer(ca).dnsNames("plain.test")
                .serial(BigInteger.valueOf(7001)).ocspUrl(responder.url()).build();
        mustStaple = CertificateBuilder.subject("CN=ms.test").issuer(ca).dnsNames("ms.test")
                .serial(BigInteger.valueOf(7002)).ocspUrl(responder.url()).mustStaple().build();
        metrics = new StapledMetrics(clock);
        OcspSettings settings = OcspSettings.builder().persist(false).watchFiles(false)
                .pollInterval(Duration.ofMillis(20)).requestsPerSecond(1000).minRefresh(Duration.ofMinutes(1))
                .retryInitial(Duration.ofMinutes(10)).retryMax(Duration.ofHours(1)).build();
        manager = OcspManager.builder().settings(settings).clock(clock).random(new Random(3))
                .listener(metrics.ocspListener()).build();
        manager.manage(OcspSubject.of("plain", plain.certificate(), ca.certificate(), null));
        manager.manage(OcspSubject.of("ms", mustStaple.certificate(), ca.certificate(), null));
        AdminHttpConfig config = new AdminHttpConfig(new HostPort("127.0.0.1", 0), true, Duration.ofHours(1));
        metrics.bindOcsp(manager, config);
        admin = metrics.startAdmin(config, group, NioServerSocketChannel.class);
        client = new AdminClient(admin.localAddress());
    }

    @AfterEach
    void stop() {
        admin.close();
        manager.close();
        metrics.close();
        responder.close();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    private void startEngine() {
        manager.start();
        assertTrue(manager.awaitInitialRound(WAIT), "initial OCSP round");
        metrics.readiness().listenersOpen(true);
    }

    /**
     * A fresh fetch now. A failing fetch may still be finishing (its failure is counted just before it
     * lets go), and refreshNow joins a running fetch, so ask again until one installs a staple.
     */
    private void refreshUntilUpdated(String id) {
        Poll.until(WAIT, "a fresh staple for " + id, () -> {
            try {
                return manager.refreshNow(id).get(5, TimeUnit.SECONDS).result() == RefreshOutcome.Result.UPDATED;
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        });
    }

    @Test
    void beforeTheFirstFetchGaugesSayNoStapleAndReadyzNamesTheMissingStaples() {
        PrometheusText t = client.scrape();
        assertEquals(0, t.value("stapled_ocsp_staple_valid", "certificate", "plain"));
        assertTrue(Double.isNaN(t.value("stapled_ocsp_staple_expires_in_seconds", "certificate", "plain")));
        assertTrue(Double.isNaN(t.value("stapled_ocsp_staple_age_seconds", "certificate", "plain")));
        assertTrue(Double.isNaN(t.value("stapled_ocsp_last_fetch_success", "certificate", "plain")));
        assertEquals(1, t.value("stapled_ocsp_must_staple_missing", "certificate", "ms"));
        assertEquals(0, t.value("stapled_ocsp_must_staple_missing", "certificate", "plain"));
        assertEquals(1, t.value("stapled_ocsp_certificate_info", "certificate", "ms", "must_staple", "true",
                "responder", "http://127.0.0.1:" + responder.port()));
        assertEquals(0, t.value("stapled_ocsp_fetches_total", "certificate", "plain", "result", "ok"));

        metrics.readiness().listenersOpen(true);
        HttpResponse<String> r = client.get("/readyz");
        assertEquals(503, r.statusCode());
        assertEquals("Must-Staple certificate ms has no valid OCSP staple\n"
                + "OCSP staple of plain is missing (ready_min_staple_validity 3600s)\n", r.body());
    }

    @Test
    void gaugesFollowFetchesAndReadyzFlipsWhenAStapleIsAboutToExpireAndBackAfterAFreshOne() throws Exception {
        startEngine();
        Instant fetchedAt = clock.instant();
        assertEquals(200, client.get("/readyz").statusCode(), client.get("/readyz").body());
        PrometheusText t = client.scrape();
        for (String id : new String[] {"plain", "ms"}) {
            assertEquals(1, t.value("stapled_ocsp_staple_valid", "certificate", id));
            assertEquals(VALIDITY.toSeconds(), t.value("stapled_ocsp_staple_expires_in_seconds", "certificate", id));
            assertEquals(0, t.value("stapled_ocsp_staple_age_seconds", "certificate", id));
            assertEquals(1, t.value("stapled_ocsp_fetches_total", "certificate", id, "result", "ok"));
            assertEquals(0, t.value("stapled_ocsp_fetches_total", "certificate", id, "result", "failed"));
            assertEquals(1, t.value("stapled_ocsp_last_fetch_success", "certificate", id));
            assertEquals(fetchedAt.getEpochSecond(), t.value("stapled_ocsp_last_fetch_timestamp_seconds", "certificate", id));
            assertEquals(1, t.value("stapled_ocsp_staple_installs_total", "certificate", id));
            assertEquals(0, t.value("stapled_ocsp_consecutive_failures", "certificate", id));
        }
        assertEquals(0, t.value("stapled_ocsp_must_staple_missing", "certificate", "ms"));
        String fetch = "stapled_ocsp_fetch_duration_seconds";
        assertEquals("histogram", t.family(fetch).type());
        assertEquals(2, t.value(fetch + "_count", "responder", "http://127.0.0.1:" + responder.port()));

        // The responder breaks; half an hour before nextUpdate the engine's refresh fails, the staple stays.
        responder.defaultBehaviour(Behaviour.HTTP_500);
        clock.advance(VALIDITY.minusMinutes(30));
        Poll.until(WAIT, "failed refreshes", () -> client.scrape()
                .value("stapled_ocsp_fetches_total", "certificate", "ms", "result", "failed") == 1
                && client.scrape().value("stapled_ocsp_fetches_total", "certificate", "plain", "result", "failed") == 1);
        PrometheusText failing = client.scrape();
        assertEquals(1800, failing.value("stapled_ocsp_staple_expires_in_seconds", "certificate", "plain"));
        assertEquals(VALIDITY.minusMinutes(30).toSeconds(),
                failing.value("stapled_ocsp_staple_age_seconds", "certificate", "plain"));
        assertEquals(0, failing.value("stapled_ocsp_last_fetch_success", "certificate", "plain"));
        assertEquals(1, failing.value("stapled_ocsp_consecutive_failures", "certificate", "plain"));
        assertEquals(1, failing.value("stapled_ocsp_staple_valid", "certificate", "plain"));
        Instant nextUpdate = fetchedAt.plus(VALIDITY);
        HttpResponse<String> notReady = client.get("/readyz");
        assertEquals(503, notReady.statusCode());
        assertEquals("OCSP staple of ms expires at " + nextUpdate + " (in 1800s), less than ready_min_staple_validity 3600s\n"
                + "OCSP staple of plain expires at " + nextUpdate + " (in 1800s), less than ready_min_staple_validity 3600s\n",
                notReady.body());

        // The responder recovers; a fresh staple for each makes the proxy ready again.
        responder.defaultBehaviour(Behaviour.GOOD);
        refreshUntilUpdated("plain");
        HttpResponse<String> half = client.get("/readyz");
        assertEquals(503, half.statusCode());
        assertTrue(half.body().startsWith("OCSP staple of ms expires at "), half.body());
        refreshUntilUpdated("ms");
        assertEquals(200, client.get("/readyz").statusCode());
        PrometheusText fresh = client.scrape();
        assertEquals(VALIDITY.toSeconds(), fresh.value("stapled_ocsp_staple_expires_in_seconds", "certificate", "plain"));
        assertEquals(0, fresh.value("stapled_ocsp_consecutive_failures", "certificate", "plain"));
        assertEquals(2, fresh.value("stapled_ocsp_staple_installs_total", "certificate", "plain"));
        assertEquals(4, fresh.value(fetch + "_count", "responder", "http://127.0.0.1:" + responder.port()));
    }

    @Test
    void anExpiredMustStapleStapleIsDroppedCountedAndMakesTheProxyUnready() throws Exception {
        startEngine();
        responder.defaultBehaviour(Behaviour.HTTP_500);
        clock.advance(VALIDITY.plusMinutes(1));
        // The tick drops the expired staples, then its refreshes fail; wait for both, so that no failing
        // fetch is still in flight when the responder recovers (refreshNow would join it).
        Poll.until(WAIT, "staples dropped at nextUpdate and the refreshes failed", () -> {
            PrometheusText s = client.scrape();
            return s.value("stapled_ocsp_staple_expiries_total", "certificate", "ms") == 1
                    && s.value("stapled_ocsp_fetches_total", "certificate", "ms", "result", "failed") == 1
                    && s.value("stapled_ocsp_fetches_total", "certificate", "plain", "result", "failed") == 1;
        });
        PrometheusText t = client.scrape();
        assertEquals(1, t.value("stapled_ocsp_must_staple_missing", "certificate", "ms"));
        assertEquals(0, t.value("stapled_ocsp_staple_valid", "certificate", "ms"));
        assertTrue(Double.isNaN(t.value("stapled_ocsp_staple_expires_in_seconds", "certificate", "ms")));
        HttpResponse<String> r = client.get("/readyz");
        assertEquals(503, r.statusCode());
        assertTrue(r.body().startsWith("Must-Staple certificate ms has no valid OCSP staple\n"), r.body());

        responder.defaultBehaviour(Behaviour.GOOD);
        refreshUntilUpdated("ms");
        refreshUntilUpdated("plain");
        assertEquals(200, client.get("/readyz").statusCode(), client.get("/readyz").body());
        assertEquals(0, client.scrape().value("stapled_ocsp_must_staple_missing", "certificate", "ms"));
    }

    @Test
    void mustStapleIsNotARequirementWhenTheConfigSaysSo() {
        AdminHttpConfig lenient = new AdminHttpConfig(new HostPort("127.0.0.1", 0), false, null);
        StapledMetrics other = new StapledMetrics(clock);
        try {
            other.bindOcsp(manager, lenient);
            other.readiness().listenersOpen(true);
            assertTrue(other.readiness().isReady(), "no staple yet, but neither condition is configured: "
                    + other.readiness().problems());
            assertTrue(metrics.readiness().problems().contains("Must-Staple certificate ms has no valid OCSP staple"));
        } finally {
            other.close();
        }
    }

}
