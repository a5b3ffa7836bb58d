package io.stapled.metrics;

import java.util.concurrent.TimeUnit;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.stapled.proxy.http.CompletedRequest;
import io.stapled.proxy.http.HttpRequestObserver;

/**
 * {@code stapled_http_request_duration_seconds} of one frontend/backend pair: one timer per status
 * class, all made up front so that a request costs an array index and a timer record; and the body
 * bytes of compressed responses before and after ({@code stapled_http_compression_bytes_total}).
 */
final class HttpRequestMetrics implements HttpRequestObserver {
    static final String NAME = "stapled.http.request.duration";
    private static final String[] CLASSES = {"1xx", "2xx", "3xx", "4xx", "5xx", "other"};

    static final String COMPRESSION = "stapled.http.compression.bytes";

    private final Timer[] timers = new Timer[CLASSES.length];
    private final Counter compressionIn;
    private final Counter compressionOut;

    HttpRequestMetrics(MeterRegistry registry, String frontend, String backend) {
        for (int i = 0; i < CLASSES.length; i++) {
            timers[i] = Timer.builder(NAME)
                    .description("HTTP requests proxied, by frontend, backend and status class; _count is the number of requests")
                    .tag("frontend", frontend)
                    .tag("backend", backend)
                    .tag("status_class", CLASSES[i])
                    .publishPercentileHistogram()
                    .register(registry);
        }
        compressionIn = compressionCounter(registry, frontend, backend, "in");
        compressionOut = compressionCounter(registry, frontend, backend, "out");
    }

    private static Counter compressionCounter(MeterRegistry registry, String frontend, String backend, String side) {
        return Counter.builder(COMPRESSION)
                .description("Body bytes of compressed responses: in, as the backend sent them; out, as coded "
                        + "for the client (out / in is the ratio)")
                .baseUnit("bytes")
                .tag("frontend", frontend)
                .tag("backend", backend)
                .tag("direction", side)
                .register(registry);
    }

    @Override
    public void requestCompleted(CompletedRequest request) {
        if (request.request() == null) {
            return; // a connection that never sent a request head (408): not a request
        }
        timers[statusClassIndex(request.status())].record(Math.max(0, request.durationNanos()), TimeUnit.NANOSECONDS);
        long uncompressed = request.uncompressedBytes();
        if (uncompressed >= 0) {
            compressionIn.increment(uncompressed);
            compressionOut.increment(request.responseBytes());
        }
    }

    static int statusClassIndex(int status) {
        return status >= 100 && status <= 599 ? status / 100 - 1 : CLASSES.length - 1;
    }

    static String statusClass(int status) {
        return CLASSES[statusClassIndex(status)];
    }
}
