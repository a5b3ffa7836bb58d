package io.stapled.bench;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;
import io.stapled.config.RouteAction;
import io.stapled.config.RouteCondition;
import io.stapled.config.RouteConfig;
import io.stapled.config.RoutingConfig;
import io.stapled.proxy.route.RouteRequest;
import io.stapled.proxy.route.RouteTable;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * Picking a request's backend ({@link RouteTable#select}) as the HTTP proxy's exchange does it, for a
 * frontend with 20 host routes (exact names, the last five {@code *.suffix}) and a default backend,
 * against the same frontend with only a default backend. The request is a decoded Netty request with
 * a Host header, read through {@link RouteRequest} as the exchange reads it. {@code -prof gc} shows
 * what a pick allocates (nothing).
 */
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class RouteMatchBenchmark extends ShortRun {

    @State(Scope.Benchmark)
    public static class Routes {
        /** Which request: the first route's host, the last exact one, a wildcard, none (default). */
        @Param({"first", "last-exact", "wildcard", "default"})
        public String request;

        RouteTable<String> twentyHosts;
        RouteTable<String> defaultOnly;
        Request req;

        @Setup(Level.Trial)
        public void setUp() {
            List<RouteConfig> routes = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                String host = i < 15 ? "app" + i + ".example.com" : "*.zone" + i + ".example.net";
                routes.add(new RouteConfig(List.of(new RouteCondition.Host(List.of(host))),
                        new RouteAction.UseBackend("b" + i), null));
            }
            twentyHosts = RouteTable.compile(new RoutingConfig(routes, null), "default", name -> name);
            defaultOnly = RouteTable.single("default", "default");
            String host = switch (request) {
                case "first" -> "app0.example.com";
                case "last-exact" -> "App14.Example.com:443";
                case "wildcard" -> "www.zone19.example.net";
                default -> "unknown.example.org";
            };
            HttpRequest r = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/index.html?x=1");
            r.headers().set(HttpHeaderNames.HOST, host).set(HttpHeaderNames.USER_AGENT, "bench")
                    .set(HttpHeaderNames.ACCEPT, "*/*");
            req = new Request(r);
        }
    }

    /**
     * What {@code Exchange} answers a route with: the decoded request's own fields, the Host read once
     * per request (here once per pick: {@link #reset} before each, as a new exchange starts unread).
     */
    static final class Request implements RouteRequest {
        private final HttpRequest request;
        private String host;
        private boolean hostRead;

        void reset() {
            hostRead = false;
        }

        Request(HttpRequest request) {
            this.request = request;
        }

        @Override
        public String methodName() {
            return request.method().name();
        }

        @Override
        public String host() {
            if (!hostRead) {
                hostRead = true;
                host = request.headers().get(HttpHeaderNames.HOST);
            }
            return host;
        }

        @Override
        public String uri() {
            return request.uri();
        }

        @Override
        public HttpHeaders headers() {
            return request.headers();
        }

        @Override
        public InetAddress source() {
            return InetAddress.getLoopbackAddress();
        }

        @Override
        public String sni() {
            return null;
        }

        @Override
        public String tlsVersion() {
            return null;
        }

        @Override
        public io.stapled.tls.ClientCertificate clientCertificate() {
            return null;
        }
    }

    @Benchmark
    public String twentyHostRoutes(Routes s) {
        s.req.reset();
        return s.twentyHosts.select(s.req).backend();
    }

    @Benchmark
    public String defaultBackendOnly(Routes s) {
        s.req.reset();
        return s.defaultOnly.select(s.req).backend();
    }
}
