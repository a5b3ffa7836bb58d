package io.stapled.admin;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;

import io.stapled.testing.StapledServerExtension;
import io.stapled.testkit.Poll;
import io.stapled.testkit.responder.OcspResponderServer;
import io.stapled.testkit.responder.OcspResponderServer.Behaviour;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@code [ocsp-update off]} on a crt-list line stops only the automatic refresh, as in HAProxy: the
 * {@code .ocsp} sibling is served, a runtime push is accepted and {@code update ssl ocsp-response}
 * fetches (issue 11). A control line without the option, whose sibling is in the same state, shows the
 * engine would have fetched automatically.
 */
@Timeout(30)
class CrtListOcspUpdateOffTest {
    private static final BigInteger OFF = BigInteger.valueOf(0xA11);
    private static final BigInteger ON = BigInteger.valueOf(0xA12);

    @RegisterExtension
    final StapledServerExtension stapled = StapledServerExtension.fromYaml("""
            ocsp:
              enabled: true
              startup_wait: 10s
              persist: false
              watch_files: false
            frontends:
              - name: https
                bind: 127.0.0.1:0
                mode: http
                backend: web
                certificates:
                  - crt_list: ${dir}/certs.list
            backends:
              - name: web
                servers:
                  - { name: web1, address: 127.0.0.1:${backend} }
            runtime_api: { socket: ${socket}, mode: "0600", level: admin }
            # certificates: ${cert:off.test:A11} ${cert:on.test:A12}
            """).beforeServer(CrtListOcspUpdateOffTest::writeListAndStaples);

    /** Past their midpoint but valid: a certificate refreshed automatically is fetched at start. */
    private static void writeListAndStaples(StapledServerExtension ext) {
        OcspResponderServer responder = ext.responder();
        responder.validity(Duration.ofHours(-2), Duration.ofHours(1));
        try {
            Files.writeString(ext.dir().resolve("certs.list"), ext.certificateFile("off.test") + " [ocsp-update off]\n"
                    + ext.certificateFile("on.test") + "\n");
            for (String name : new String[] {"off.test", "on.test"}) {
                BigInteger serial = name.equals("off.test") ? OFF : ON;
                Files.write(Path.of(ext.certificateFile(name) + ".ocsp"), responder.responseFor(serial, Behaviour.GOOD));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        responder.validity(Duration.ofMinutes(-1), Duration.ofHours(4));
    }

    private String send(String text) throws IOException {
        return CliClient.send(stapled.runtimeApi().socket(), text);
    }

    @Test
    void fileStapleIsServedPushesAreAcceptedAndUpdateFetchesButNothingIsFetchedAutomatically() throws Exception {
        OcspResponderServer responder = stapled.responder();
        Path off = stapled.certificateFile("off.test");
        int port = stapled.port("https");
        Poll.until(Duration.ofSeconds(10), "the control certificate's automatic fetch", () -> responder.requestCount(ON) >= 1);
        assertEquals(0, responder.requestCount(OFF), "ocsp-update off: no start-up fetch");
        String updates = send("show ssl ocsp-updates\n");
        assertTrue(updates.contains(stapled.certificateFile("on.test").toString()), updates);
        assertFalse(updates.contains(off.toString()), "only automatically updated certificates are listed: " + updates);

        byte[] fromFile = Files.readAllBytes(Path.of(off + ".ocsp"));
        assertArrayEquals(fromFile, stapled.client().handshake(port, "off.test").ocspResponse(), "the .ocsp sibling is stapled");

        byte[] pushed = responder.responseFor(OFF, Behaviour.DELEGATED);
        assertEquals("OCSP Response updated!\n\n",
                send("set ssl ocsp-response " + Base64.getEncoder().encodeToString(pushed) + "\n"));
        assertArrayEquals(pushed, stapled.client().handshake(port, "off.test").ocspResponse(), "the push is stapled");
        assertEquals(0, responder.requestCount(OFF));

        String out = send("update ssl ocsp-response " + off + "\n");
        assertTrue(out.startsWith("OCSP Response Data:\n") && out.contains("Cert Status: good"), out);
        assertEquals(1, responder.requestCount(OFF), "fetched on demand");
    }
}
