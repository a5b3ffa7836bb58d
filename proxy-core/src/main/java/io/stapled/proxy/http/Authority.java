package io.stapled.proxy.http;

import java.util.Locale;

import io.netty.util.NetUtil;

/**
 * The {@code host[:port]} of a Host header or an absolute-form target (RFC 9110 section 7.2, RFC 3986
 * section 3.2). Stricter than RFC 3986 on purpose: a reg-name may only use unreserved characters
 * (letters, digits, {@code - . _ ~}), not the sub-delims or %-escapes no DNS name needs, because those
 * let a Host carry a list ({@code a,b}), userinfo ({@code evil@a}) or a path that a backend or a log
 * parser reads differently. An IP literal is an IPv6 address in brackets; a port is 1 to 5 digits up
 * to 65535.
 */
final class Authority {
    private Authority() {
    }

    static boolean isValid(String s) {
        int len = s.length();
        if (len == 0) {
            return false;
        }
        int hostEnd;
        if (s.charAt(0) == '[') {
            int close = s.indexOf(']');
            if (close < 0 || !isIpv6(s, 1, close)) {
                return false;
            }
            hostEnd = close + 1;
            if (hostEnd == len) {
                return true;
            }
            if (s.charAt(hostEnd) != ':') {
                return false;
            }
        } else {
            hostEnd = -1;
            for (int i = 0; i < len; i++) {
                char c = s.charAt(i);
                if (c == ':') {
                    hostEnd = i;
                    break;
                }
                if (!isRegNameChar(c)) {
                    return false;
                }
            }
            if (hostEnd < 0) {
                return true;
            }
            if (hostEnd == 0) {
                return false; // a port without a host
            }
        }
        return isPort(s, hostEnd + 1, len);
    }

    /**
     * Whether two valid authorities name the same origin for {@code scheme}: host names compare
     * case-insensitively and the scheme's default port equals no port.
     */
    static boolean same(String a, String b, boolean https) {
        return normalise(a, https).equals(normalise(b, https));
    }

    private static String normalise(String authority, boolean https) {
        String s = authority.toLowerCase(Locale.ROOT);
        String defaultPort = https ? ":443" : ":80";
        if (s.endsWith(defaultPort)) {
            s = s.substring(0, s.length() - defaultPort.length());
        }
        return s;
    }

    private static boolean isRegNameChar(char c) {
        return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
                || c == '-' || c == '.' || c == '_' || c == '~';
    }

    private static boolean isIpv6(String s, int from, int to) {
        if (to - from < 2) {
            return false;
        }
        boolean colon = false;
        for (int i = from; i < to; i++) {
            char c = s.charAt(i);
            if (c == ':') {
                colon = true;
            } else if (!(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' || c == '.')) {
                return false; // also no zone ID and no IPvFuture: nothing a client needs to reach us
            }
        }
        return colon && NetUtil.isValidIpV6Address(s.substring(from, to));
    }

    private static boolean isPort(String s, int from, int to) {
        int digits = to - from;
        if (digits < 1 || digits > 5) {
            return false;
        }
        int port = 0;
        for (int i = from; i < to; i++) {
            char c = s.charAt(i);
            if (c < '0' || c > '9') {
                return false;
            }
            port = port * 10 + (c - '0');
        }
        return port <= 65535;
    }
}
