package io.stapled.config;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** Binds a frontend's {@code http:} section. */
final class HttpBinder {

    private HttpBinder() {
    }

    static HttpConfig bind(YamlValue value) {
        HttpConfig d = HttpConfig.defaults();
        if (value == null) {
            return d;
        }
        YamlMap m = value.map();
        Duration requestTimeout = m.duration("request_timeout", d.requestTimeout());
        int maxHeaderSize = m.size("max_header_size", d.maxHeaderSize(), 1024, 1 << 20);
        int maxInitialLine = m.size("max_initial_line", d.maxInitialLine(), 256, 1 << 20);
        boolean forwardedHeaders = m.bool("forwarded_headers", d.forwardedHeaders());
        YamlValue trustedValue = m.get("trusted_upstreams");
        List<String> trusted = trustedValue == null ? d.trustedUpstreams() : cidrs(trustedValue);
        m.finish();
        return new HttpConfig(requestTimeout, maxHeaderSize, maxInitialLine, forwardedHeaders, trusted);
    }

    private static List<String> cidrs(YamlValue value) {
        List<String> out = new ArrayList<>();
        for (YamlValue item : value.list("a list of CIDRs like [10.0.0.0/8]")) {
            Cidr cidr = item.cidr();
            if (cidr != null) {
                out.add(cidr.toString());
            }
        }
        return out;
    }
}
