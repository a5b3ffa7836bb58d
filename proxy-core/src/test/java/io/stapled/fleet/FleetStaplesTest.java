package io.stapled.fleet;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.stapled.ocsp.Staple;
import io.stapled.testkit.Poll;

/** Fleet mode's staples, with a real Redis and three real stapled instances in this JVM. */
class FleetStaplesTest {
    private static final List<String> NODES = List.of("a", "b", "c");

    @TempDir
    Path dir;

    @Test
    void threeInstancesMakeOneResponderRequestPerCertificatePerRefresh() throws Exception {
        try (Fleet fleet = new Fleet(dir, Duration.ofSeconds(6))) {
            for (String n : NODES) {
                fleet.start(n);
                // start-up took the staple from the store (or fetched it, for the first): stapled before listening
                assertNotNull(fleet.handshakeStaple(n), n + " opened its listener without a staple");
            }
            assertEquals(1, fleet.responder.requestCount(), "b and c must take a's staple from Redis");
            assertEquals(Staple.Origin.FETCHED, fleet.held("a").origin());
            assertEquals(Staple.Origin.FLEET, fleet.held("b").origin());
            assertEquals(Staple.Origin.FLEET, fleet.held("c").origin());
            assertEquals(2, fleet.status("b").fetchesAvoided() + fleet.status("c").fetchesAvoided());

            for (int refresh = 2; refresh <= 3; refresh++) {
                Instant before = fleet.held("a").thisUpdate();
                Poll.until(Duration.ofSeconds(15), "refresh " + refresh + " on every instance",
                        () -> NODES.stream().allMatch(n -> fleet.held(n).thisUpdate().isAfter(before)));
                assertEquals(refresh, fleet.responder.requestCount(), "one responder request for refresh " + refresh);
                byte[] der = fleet.held("a").der();
                for (String n : NODES) {
                    assertArrayEquals(der, fleet.held(n).der(), n + " holds another staple");
                    assertArrayEquals(der, fleet.handshakeStaple(n), n + " staples another response");
                }
                // every instance installed the refreshed staple within 1 s of the responder's answer
                Instant answered = fleet.responder.requestTimes().get(refresh - 1);
                for (String n : NODES) {
                    List<Instant> times = fleet.installs.get(n);
                    Instant installed = times.get(times.size() - 1);
                    assertTrue(Duration.between(answered, installed).compareTo(Duration.ofSeconds(1)) <= 0,
                            n + " installed it " + Duration.between(answered, installed).toMillis() + " ms after the fetch");
                }
            }
        }
    }
}
