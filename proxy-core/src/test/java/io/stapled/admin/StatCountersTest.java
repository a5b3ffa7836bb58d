package io.stapled.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;

import io.stapled.testing.StapledServerExtension;
import io.stapled.testing.TrustingSslContext;
import io.stapled.testkit.Poll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@code show stat} and {@code show info} counters after real HTTPS requests through the whole proxy:
 * the frontend's sessions, requests, responses and decrypted bytes, the server's and backend's
 * requests and responses, and the process totals, all consistent with what the clients sent.
 */
@Timeout(40)
class StatCountersTest {
    private static final int REQUESTS = 5;
    private static final byte[] REQUEST = "GET / HTTP/1.1\r\nHost: count.test\r\n\r\n".getBytes(StandardCharsets.US_ASCII);

    @RegisterExtension
    final StapledServerExtension stapled = StapledServerExtension.fromYaml("""
            frontends:
              - name: https
                bind: 127.0.0.1:0
                mode: http
                backend: app
                certificates:
                  - crt: ${cert:count.test}
            backends:
              - name: app
                servers:
                  - { name: app1, address: 127.0.0.1:${backend} }
                health_check: { type: tcp, interval: 100ms, rise: 2, fall: 3 }
            runtime_api: { socket: admin.sock, mode: "0600", level: admin }
            """);

    private String cli(String text) throws IOException {
        return CliClient.send(stapled.runtimeApi().socket(), text);
    }

    private SSLSocket https() throws Exception {
        SSLContext ctx = TrustingSslContext.trusting(stapled.root());
        SSLSocket s = (SSLSocket) ctx.getSocketFactory().createSocket("127.0.0.1", stapled.port("https"));
        s.setSoTimeout(10_000);
        SSLParameters p = s.getSSLParameters();
        p.setServerNames(List.of(new SNIHostName("count.test")));
        s.setSSLParameters(p);
        s.startHandshake();
        return s;
    }

    /** One keep-alive request; returns the body length. */
    private static long get(SSLSocket s, BufferedReader in) throws IOException {
        OutputStream out = s.getOutputStream();
        out.write(REQUEST);
        out.flush();
        String status = in.readLine();
        assertEquals("200", status.split(" ")[1], status);
        long length = 0;
        String line;
        while (!(line = in.readLine()).isEmpty()) {
            if (line.toLowerCase(Locale.ROOT).startsWith("content-length:")) {
                length = Long.parseLong(line.substring(15).trim());
            }
        }
        for (long i = 0; i < length; i++) {
            in.read();
        }
        return length;
    }

    /** The {@code show stat} row of {@code proxy,svname} as field name to value. */
    private Map<String, String> row(String stat, String proxy, String server) {
        List<String> lines = stat.lines().toList();
        String[] names = lines.get(0).substring(2).split(",", -1);
        for (String line : lines.subList(1, lines.size())) {
            if (line.startsWith(proxy + "," + server + ",")) {
                String[] values = line.split(",", -1);
                Map<String, String> row = new HashMap<>();
                for (int i = 0; i < names.length; i++) {
                    row.put(names[i], values[i]);
                }
                return row;
            }
        }
        throw new AssertionError("no row " + proxy + "/" + server + " in\n" + stat);
    }

    private static long n(Map<String, String> row, String field) {
        return Long.parseLong(row.get(field));
    }

    @Test
    void countersFollowRealRequests() throws Exception {
        long bodies = 0;
        try (SSLSocket first = https(); SSLSocket second = https()) {
            BufferedReader in = new BufferedReader(new InputStreamReader(first.getInputStream(), StandardCharsets.ISO_8859_1));
            for (int i = 0; i < REQUESTS - 1; i++) {
                bodies += get(first, in);
            }
            bodies += get(second, new BufferedReader(new InputStreamReader(second.getInputStream(),
                    StandardCharsets.ISO_8859_1)));
            Map<String, String> open = row(cli("show stat\n"), "https", "FRONTEND");
            assertEquals(2, n(open, "scur"), "two client connections open now");
            assertTrue(n(open, "smax") >= 2, open.get("smax"));
        }
        Poll.until(Duration.ofSeconds(5), "every request counted",
                () -> call(() -> n(row(cli("show stat\n"), "https", "FRONTEND"), "req_tot") == REQUESTS));
        Poll.until(Duration.ofSeconds(5), "the connections closed",
                () -> call(() -> n(row(cli("show stat\n"), "https", "FRONTEND"), "scur") == 0));
        String stat = cli("show stat\n");
        Map<String, String> fe = row(stat, "https", "FRONTEND");
        assertEquals(2, n(fe, "stot"));
        assertEquals(2, n(fe, "conn_tot"));
        assertEquals(REQUESTS, n(fe, "hrsp_2xx"));
        assertEquals(0, n(fe, "hrsp_5xx"));
        assertEquals((long) REQUESTS * REQUEST.length, n(fe, "bin"), "decrypted bytes in: the requests exactly");
        assertTrue(n(fe, "bout") > bodies, "bytes out: the bodies and their heads, " + fe.get("bout"));
        // rates: at least the two connections and the requests fell within one second at their peak
        assertTrue(n(fe, "rate_max") >= 1 && n(fe, "rate_max") <= 2, fe.get("rate_max"));
        assertEquals(n(fe, "rate_max"), n(fe, "conn_rate_max"));
        assertTrue(n(fe, "req_rate_max") >= 1 && n(fe, "req_rate_max") <= REQUESTS, fe.get("req_rate_max"));

        Map<String, String> app1 = row(stat, "app", "app1");
        assertEquals(REQUESTS, n(app1, "req_tot"));
        assertEquals(REQUESTS, n(app1, "hrsp_2xx"));
        assertTrue(n(app1, "stot") >= 1, app1.get("stot"));
        assertTrue(n(app1, "smax") >= 1, app1.get("smax"));
        assertTrue(n(app1, "lastsess") >= 0, "a session was handed: " + app1.get("lastsess"));
        assertTrue(n(app1, "rate_max") >= 1 && n(app1, "rate_max") <= REQUESTS, app1.get("rate_max"));
        Poll.until(Duration.ofSeconds(10), "the first health check of app1",
                () -> call(() -> !"INI".equals(row(cli("show stat\n"), "app", "app1").get("check_status"))));
        app1 = row(cli("show stat\n"), "app", "app1");
        assertEquals("L4OK", app1.get("check_status"));
        assertEquals("Layer4 check passed", app1.get("check_desc"));
        assertEquals(4, n(app1, "check_health"), "up with no failure: rise + fall - 1");
        assertEquals(0, n(app1, "chkfail"));
        assertEquals(0, n(app1, "chkdown"));

        Map<String, String> backend = row(stat, "app", "BACKEND");
        assertEquals(REQUESTS, n(backend, "req_tot"));
        assertEquals(REQUESTS, n(backend, "hrsp_2xx"));
        assertEquals(n(app1, "stot"), n(backend, "stot"));

        String info = cli("show info\n");
        assertTrue(info.contains("\nCumReq: " + REQUESTS + "\n"), info);
        assertTrue(info.contains("\nCumConns: 2\n"), info);
        assertTrue(info.contains("\nCumSslConns: 2\n"), info);
        assertTrue(info.contains("\nTotalBytesOut: " + fe.get("bout") + "\n"), info);

        String typed = cli("show stat typed\n");
        assertTrue(typed.contains("\nF.2.0.48.req_tot.1:MCP:u64:" + REQUESTS + "\n"), typed);
        assertTrue(typed.contains("\nS.1.1.40.hrsp_2xx.1:MCP:u64:" + REQUESTS + "\n"), typed);
        assertEquals(0, n(fe, "ereq"));
    }

    @Test
    void aRefusedRequestIsARequestErrorOfTheFrontendOnly() throws Exception {
        try (SSLSocket s = https()) {
            BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.ISO_8859_1));
            get(s, in);
            OutputStream out = s.getOutputStream();
            out.write("GET / HTTP/1.1\r\nHost: a.test\r\nHost: b.test\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            String status = in.readLine();
            assertTrue(status.startsWith("HTTP/1.1 400"), status);
        }
        Poll.until(Duration.ofSeconds(5), "the refusal counted",
                () -> call(() -> n(row(cli("show stat\n"), "https", "FRONTEND"), "ereq") == 1));
        String stat = cli("show stat\n");
        Map<String, String> fe = row(stat, "https", "FRONTEND");
        assertEquals(1, n(fe, "hrsp_4xx"));
        assertEquals(1, n(fe, "hrsp_2xx"));
        assertEquals(2, n(fe, "req_tot"), "a refused request head was still a request");
        Map<String, String> app1 = row(stat, "app", "app1");
        assertEquals(1, n(app1, "req_tot"), "the server never saw the refused one");
        assertEquals(0, n(app1, "hrsp_4xx"));
    }

    private interface IoCheck {
        boolean get() throws IOException;
    }

    private static boolean call(IoCheck check) {
        try {
            return check.get();
        } catch (IOException e) {
            return false;
        }
    }
}
