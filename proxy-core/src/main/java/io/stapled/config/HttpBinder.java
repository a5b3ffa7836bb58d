package io.stapled.config;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

import io.stapled.config.HttpConfig.UnderscoreHeaders;

/** Binds a frontend's {@code http:} section. */
final class HttpBinder {

    private static final Map<String, UnderscoreHeaders> UNDERSCORE_HEADERS = Choices.of(
            "drop", UnderscoreHeaders.DROP, "reject", UnderscoreHeaders.REJECT, "allow", UnderscoreHeaders.ALLOW);
    /** Headers the proxy frames, routes or sets itself: a client-address header must not overwrite them. */
    private static final Set<String> RESERVED_HEADERS = Set.of("host", "content-length", "transfer-encoding",
            "connection", "keep-alive", "proxy-connection", "te", "trailer", "upgrade", "expect",
            "x-forwarded-for", "x-forwarded-proto", "x-forwarded-host", "forwarded");
    /** RFC 9110 section 5.6.2 tchar. */
    private static final String TOKEN_SYMBOLS = "!#$%&'*+-.^_`|~";

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
        boolean acceptInvalid = m.bool("accept_invalid_requests", d.acceptInvalidRequests());
        UnderscoreHeaders underscores = m.choice("underscore_headers", UNDERSCORE_HEADERS, d.underscoreHeaders());
        YamlValue clientIpValue = m.get("client_ip_header");
        String clientIpHeader = clientIpValue == null ? d.clientIpHeader() : headerName(clientIpValue);
        m.finish();
        return new HttpConfig(requestTimeout, maxHeaderSize, maxInitialLine, forwardedHeaders, trusted,
                acceptInvalid, underscores, clientIpHeader);
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

    private static String headerName(YamlValue value) {
        String text = value.string();
        if (text == null) {
            return null;
        }
        String name = text.strip();
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            boolean tchar = c < 0x80 && (Character.isLetterOrDigit(c) || TOKEN_SYMBOLS.indexOf(c) >= 0);
            if (!tchar) {
                value.error("expected a header name like X-Real-IP, got " + value.describe());
                return null;
            }
        }
        if (name.indexOf('_') >= 0) {
            value.error("a header name with \"_\" is folded into \"-\" by some backends; use \""
                    + name.replace('_', '-') + "\"");
            return null;
        }
        if (RESERVED_HEADERS.contains(name.toLowerCase(Locale.ROOT))) {
            value.error(name + " is framed or set by the proxy itself; choose another header, such as X-Real-IP");
            return null;
        }
        return name;
    }
}
