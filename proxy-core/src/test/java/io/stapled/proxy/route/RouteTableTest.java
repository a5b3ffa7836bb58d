package io.stapled.proxy.route;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.net.InetAddress;
import java.util.List;

import com.google.re2j.Pattern;

import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import io.stapled.config.RouteAction;
import io.stapled.config.RouteCondition;
import io.stapled.config.RouteConfig;
import io.stapled.config.RoutingConfig;
import io.stapled.tls.ClientCertificate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The compiled matcher on its own: edge cases of each test, and RE2's linear time on hostile input. */
class RouteTableTest {

    /** A request as the matcher sees it. */
    record Request(String methodName, String host, String uri, HttpHeaders headers, InetAddress source, String sni,
                   String tlsVersion, ClientCertificate clientCertificate) implements RouteRequest {
        static Request of(String host, String uri) {
            return new Request("GET", host, uri, new DefaultHttpHeaders(), InetAddress.getLoopbackAddress(), null,
                    null, null);
        }

        Request withClient(ClientCertificate cert) {
            return new Request(methodName, host, uri, headers, source, sni, tlsVersion, cert);
        }
    }

    private static RouteTable<String> table(RouteCondition... routes) {
        List<RouteConfig> list = new java.util.ArrayList<>();
        for (int i = 0; i < routes.length; i++) {
            list.add(new RouteConfig(List.of(routes[i]), new RouteAction.UseBackend("r" + i), null));
        }
        return RouteTable.compile(new RoutingConfig(list, null), "default", name -> name);
    }

    private static String pick(RouteTable<String> t, String host, String uri) {
        return t.select(Request.of(host, uri)).backend();
    }

    @Test
    void hostMatchingIgnoresCasePortAndTheTrailingDot() {
        RouteTable<String> t = table(new RouteCondition.Host(List.of("www.example.com", "*.example.org")),
                new RouteCondition.Host(List.of("[::1]")));
        assertEquals("r0", pick(t, "WWW.Example.COM", "/"));
        assertEquals("r0", pick(t, "www.example.com:8443", "/"));
        assertEquals("r0", pick(t, "www.example.com.", "/"));
        assertEquals("r0", pick(t, "a.b.example.org:80", "/"));
        assertEquals("default", pick(t, "example.org", "/"));
        assertEquals("default", pick(t, "wwwexample.com", "/"));
        assertEquals("default", pick(t, "xexample.org", "/"), "a suffix matches at a label boundary only");
        assertEquals("r1", pick(t, "[::1]:8080", "/"));
        assertEquals("default", pick(t, null, "/"), "no Host: no host route matches");
    }

    @Test
    void pathsAreRawAndCaseSensitive() {
        RouteTable<String> t = table(new RouteCondition.PathPrefix(List.of("/api/")),
                new RouteCondition.Path(List.of("/exact")));
        assertEquals("r0", pick(t, "h", "/api/x?y=/z"));
        assertEquals("default", pick(t, "h", "/API/x"));
        assertEquals("default", pick(t, "h", "/%61pi/x"), "not percent-decoded, as HAProxy's path_beg");
        assertEquals("default", pick(t, "h", "/x?/api/"), "the query is not the path");
        assertEquals("r1", pick(t, "h", "/exact?q"));
        assertEquals("default", pick(t, "h", "/exactly"));
    }

    @Test
    void queryParametersMatchWholeNames() {
        RouteTable<String> t = table(new RouteCondition.Query("debug", null, null),
                new RouteCondition.Query("v", "", null));
        assertEquals("r0", pick(t, "h", "/?debug"));
        assertEquals("r0", pick(t, "h", "/?a=1&debug=&b"));
        assertEquals("default", pick(t, "h", "/?debugx=1&xdebug=1"));
        assertEquals("default", pick(t, "h", "/debug"));
        assertEquals("r1", pick(t, "h", "/?v="), "an empty value equals \"\"");
        assertEquals("r1", pick(t, "h", "/?v"), "a name without = has the empty value");
        assertEquals("default", pick(t, "h", "/?v=1"));
    }

    @Test
    void noDefaultAndNoMatchIsAnEmptyOutcome() {
        RouteTable<String> t = RouteTable.compile(new RoutingConfig(List.of(new RouteConfig(
                List.of(new RouteCondition.Path(List.of("/a"))), new RouteAction.UseBackend("a"), null)), null),
                null, name -> name);
        RouteTable.Outcome<String> o = t.select(Request.of("h", "/b"));
        assertNull(o.backend());
        assertNull(o.redirect());
        assertNull(o.answer());
        assertSame(t.fallback(), o, "one outcome object per route, made at compile time");
    }

    @Test
    void aRunOfHostRoutesLookedUpAtOnceAnswersAsTryingThemInOrder() {
        // Runs of host-only routes go through HostIndex; a path route splits them. The reference is
        // the routes tried one by one with their own conditions.
        List<List<String>> hosts = List.of(List.of("a.test"), List.of("*.wild.test"), List.of("b.test", "a.test"),
                List.of("x.wild.test"), List.of("*.test"), List.of("c.test"), List.of("*.deep.wild.test"),
                List.of("d.test"), List.of("e.test", "*.e.test"), List.of("f.test"), List.of("g.test"),
                List.of("h.test"), List.of("*.h.test"), List.of("i.test"));
        List<RouteConfig> routes = new java.util.ArrayList<>();
        for (int i = 0; i < hosts.size(); i++) {
            if (i == 9) {
                routes.add(new RouteConfig(List.of(new RouteCondition.PathPrefix(List.of("/split/"))),
                        new RouteAction.UseBackend("split"), null));
            }
            routes.add(new RouteConfig(List.of(new RouteCondition.Host(hosts.get(i))),
                    new RouteAction.UseBackend("r" + routes.size()), null));
        }
        RouteTable<String> t = RouteTable.compile(new RoutingConfig(routes, null), "default", name -> name);
        List<String> requests = List.of("a.test", "A.TEST:443", "a.test.", "b.test", "x.wild.test", "X.Wild.Test:80",
                "y.wild.test", "q.deep.wild.test", "wild.test", "c.test", "zz.test", "test", "e.test", "s.e.test",
                "f.test", "h.test", "k.h.test", "i.test", "[::1]:8443", "", "d.test:8080", "nothing.example");
        for (String host : requests) {
            for (String path : List.of("/", "/split/x")) {
                Request r = Request.of(host, path);
                String expected = "default";
                for (RouteConfig route : routes) {
                    if (route.conditions().stream().map(Conditions::compile).allMatch(c -> c.test(r))) {
                        expected = ((RouteAction.UseBackend) route.action()).backend();
                        break;
                    }
                }
                assertEquals(expected, t.select(r).backend(), host + path);
            }
        }
    }

    @Test
    void clientCertificateConditionsTestTheVerifiedCertificateOnly() {
        RouteTable<String> t = table(new RouteCondition.ClientSubject(List.of("CN=alice,O=Example")),
                new RouteCondition.ClientSubjectRegex(Pattern.compile("^CN=ops-")),
                new RouteCondition.ClientVerified(false));
        Request r = Request.of("h", "/");
        ClientCertificate alice = new ClientCertificate("CN=alice,O=Example", "CN=ca", "1", "AA", true, null, false);
        ClientCertificate ops = new ClientCertificate("CN=ops-1", "CN=ca", "2", "BB", true, null, false);
        ClientCertificate carol = new ClientCertificate("CN=carol", "CN=ca", "3", "CC", true, null, false);
        ClientCertificate forged = new ClientCertificate("CN=alice,O=Example", "CN=other", "4", "DD", false,
                "unable to get local issuer certificate", false);
        assertEquals("r0", t.select(r.withClient(alice)).backend());
        assertEquals("r1", t.select(r.withClient(ops)).backend());
        assertEquals("default", t.select(r.withClient(carol)).backend(), "verified: client_verified false fails");
        assertEquals("r2", t.select(r.withClient(forged)).backend(), "an unverified certificate's subject is not "
                + "trusted, and it counts as not verified");
        assertEquals("r2", t.select(r).backend(), "no certificate: not verified");
        RouteTable<String> verified = table(new RouteCondition.ClientVerified(true));
        assertEquals("r0", verified.select(r.withClient(carol)).backend());
        assertEquals("default", verified.select(r.withClient(forged)).backend());
        assertEquals("default", verified.select(r).backend());
    }

    @Test
    @Timeout(10)
    void hostileInputRunsInLinearTime() {
        // Both patterns take exponential time in a backtracking engine (java.util.regex) on these inputs.
        RouteTable<String> t = table(new RouteCondition.PathRegex(Pattern.compile("^/(a+)+$")),
                new RouteCondition.HostRegex(Pattern.compile("^(x+x+)+y$", Pattern.CASE_INSENSITIVE)));
        String path = "/" + "a".repeat(50_000) + "!";
        String host = "x".repeat(50_000);
        assertEquals("default", pick(t, host, path));
        assertEquals("r0", pick(t, host, "/" + "a".repeat(50_000)));
        assertEquals("r1", pick(t, host + "Y", "/"));
    }
}
