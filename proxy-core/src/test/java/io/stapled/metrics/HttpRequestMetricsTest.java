package io.stapled.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Clock;
import java.util.List;
import java.util.concurrent.TimeUnit;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.stapled.config.AdminHttpConfig;
import io.stapled.config.HostPort;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;
import io.stapled.proxy.http.CompletedRequest;
import io.stapled.proxy.http.HttpRequestObserver;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(20)
class HttpRequestMetricsTest {
    private static final HttpRequest GET = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/");

    private record Done(HttpRequest request, int status, long durationNanos) implements CompletedRequest {
        @Override
        public String clientIp() {
            return "127.0.0.1";
        }

        @Override
        public long startMillis() {
            return 0;
        }

        @Override
        public long responseBytes() {
            return 0;
        }

        @Override
        public String serverName() {
            return "s1";
        }
    }

    /** A compressed response: {@code in} bytes from the backend, {@code out} to the client. */
    private record Compressed(long uncompressedBytes, long responseBytes) implements CompletedRequest {
        @Override
        public HttpRequest request() {
            return GET;
        }

        @Override
        public String clientIp() {
            return "127.0.0.1";
        }

        @Override
        public long startMillis() {
            return 0;
        }

        @Override
        public int status() {
            return 200;
        }

        @Override
        public String serverName() {
            return "s1";
        }

        @Override
        public long durationNanos() {
            return 1;
        }
    }

    private static CompletedRequest done(int status, long durationNanos) {
        return new Done(GET, status, durationNanos);
    }

    @Test
    void requestsAreCountedByStatusClassWithALatencyHistogram() {
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        try (StapledMetrics metrics = new StapledMetrics(Clock.systemUTC())) {
            HttpRequestObserver web = metrics.httpObserver("web", "app");
            HttpRequestObserver api = metrics.httpObserver("api", "app");
            web.requestCompleted(done(200, TimeUnit.MILLISECONDS.toNanos(3)));
            web.requestCompleted(done(204, TimeUnit.MILLISECONDS.toNanos(40)));
            web.requestCompleted(done(404, TimeUnit.MILLISECONDS.toNanos(1)));
            web.requestCompleted(done(503, TimeUnit.SECONDS.toNanos(2)));
            web.requestCompleted(new Done(null, 408, 0)); // no request head: not a request
            web.requestCompleted(done(0, 5));
            web.requestCompleted(done(101, 5));
            api.requestCompleted(done(302, TimeUnit.MILLISECONDS.toNanos(2)));
            web.requestCompleted(new Compressed(10_000, 2_000));
            web.requestCompleted(new Compressed(5_000, 1_000));
            AdminHttpServer admin = metrics.startAdmin(new AdminHttpConfig(new HostPort("127.0.0.1", 0), false, null),
                    group, NioServerSocketChannel.class);
            try {
                PrometheusText t = new AdminClient(admin.localAddress()).scrape();
                String name = "stapled_http_request_duration_seconds";
                assertEquals("histogram", t.family(name).type());
                assertEquals(4, t.value(name + "_count", "frontend", "web", "backend", "app", "status_class", "2xx"));
                String bytes = "stapled_http_compression_bytes_total";
                assertEquals(15_000, t.value(bytes, "frontend", "web", "backend", "app", "direction", "in"));
                assertEquals(3_000, t.value(bytes, "frontend", "web", "backend", "app", "direction", "out"));
                assertEquals(0, t.value(bytes, "frontend", "api", "backend", "app", "direction", "in"));
                assertEquals(0.043 + 2e-9, t.value(name + "_sum", "frontend", "web", "backend", "app", "status_class", "2xx"), 1e-9);
                assertEquals(1, t.value(name + "_count", "frontend", "web", "backend", "app", "status_class", "4xx"));
                assertEquals(1, t.value(name + "_count", "frontend", "web", "backend", "app", "status_class", "5xx"));
                assertEquals(1, t.value(name + "_count", "frontend", "web", "backend", "app", "status_class", "1xx"));
                assertEquals(1, t.value(name + "_count", "frontend", "web", "backend", "app", "status_class", "other"));
                assertEquals(0, t.value(name + "_count", "frontend", "web", "backend", "app", "status_class", "3xx"));
                assertEquals(1, t.value(name + "_count", "frontend", "api", "backend", "app", "status_class", "3xx"));
                // The 2 s request is in no bucket below 1 s but in +Inf; the percentile histogram has many buckets.
                List<PrometheusText.Sample> buckets = t.find(name + "_bucket", "frontend", "web", "status_class", "5xx");
                assertTrue(buckets.size() > 10, "percentile histogram buckets: " + buckets.size());
                for (PrometheusText.Sample b : buckets) {
                    double le = Double.parseDouble(b.labels().get("le").replace("+Inf", "Infinity"));
                    assertEquals(le >= 2 ? 1 : 0, b.value(), "bucket le=" + le);
                }
            } finally {
                admin.close();
            }
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }

    @Test
    void statusClasses() {
        assertEquals("1xx", HttpRequestMetrics.statusClass(100));
        assertEquals("2xx", HttpRequestMetrics.statusClass(299));
        assertEquals("5xx", HttpRequestMetrics.statusClass(599));
        assertEquals("other", HttpRequestMetrics.statusClass(600));
        assertEquals("other", HttpRequestMetrics.statusClass(99));
        assertEquals("other", HttpRequestMetrics.statusClass(-1));
    }
}
