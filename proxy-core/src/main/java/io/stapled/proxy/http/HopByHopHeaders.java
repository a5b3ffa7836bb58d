package io.stapled.proxy.http;

import java.util.List;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.util.AsciiString;

/**
 * Connection-specific header fields (RFC 9110 section 7.6.1): they describe one hop and must not be
 * forwarded. {@code Transfer-Encoding} is left to the caller because the codec frames the body by it,
 * and {@code Upgrade} survives only on an upgrade being tunnelled.
 */
final class HopByHopHeaders {
    private static final AsciiString PROXY_CONNECTION = AsciiString.cached("proxy-connection");

    private HopByHopHeaders() {
    }

    /** True when the message asks to switch protocols ({@code Connection: upgrade} plus {@code Upgrade}). */
    static boolean isUpgrade(HttpHeaders headers) {
        return headers.contains(HttpHeaderNames.UPGRADE)
                && headers.containsValue(HttpHeaderNames.CONNECTION, HttpHeaderValues.UPGRADE, true);
    }

    /** Removes hop-by-hop fields; when {@code keepUpgrade}, leaves {@code Connection: upgrade} and {@code Upgrade}. */
    static void strip(HttpHeaders headers, boolean keepUpgrade) {
        List<String> connection = headers.getAll(HttpHeaderNames.CONNECTION);
        for (String value : connection) {
            for (String token : value.split(",")) {
                String name = token.trim();
                if (!name.isEmpty() && !(keepUpgrade && name.equalsIgnoreCase("upgrade"))
                        && !isFraming(name)) {
                    headers.remove(name);
                }
            }
        }
        headers.remove(HttpHeaderNames.CONNECTION);
        headers.remove(HttpHeaderNames.KEEP_ALIVE);
        headers.remove(PROXY_CONNECTION);
        headers.remove(HttpHeaderNames.TE);
        headers.remove(HttpHeaderNames.PROXY_AUTHORIZATION);
        if (keepUpgrade) {
            headers.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.UPGRADE);
        } else {
            headers.remove(HttpHeaderNames.UPGRADE);
        }
    }

    // A Connection header cannot be used to strip the fields that frame the message or route it.
    private static boolean isFraming(String name) {
        return name.equalsIgnoreCase("transfer-encoding") || name.equalsIgnoreCase("content-length")
                || name.equalsIgnoreCase("host");
    }
}
