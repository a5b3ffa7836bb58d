package io.stapled.haproxy;

import java.time.Duration;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.stapled.config.Durations;

/** HAProxy's value syntaxes (times, addresses, TLS versions) in stapled's spelling. */
final class HaproxyValues {
    private static final Pattern TIME = Pattern.compile("([0-9]+)(us|ms|s|m|h|d)?");

    private HaproxyValues() {
    }

    /** An HAProxy time (a bare number is milliseconds) as a stapled duration. */
    static String duration(String haproxy) throws Untranslatable {
        Matcher m = TIME.matcher(haproxy == null ? "" : haproxy.toLowerCase(Locale.ROOT));
        if (!m.matches()) {
            throw new Untranslatable("\"" + haproxy + "\" is not an HAProxy time");
        }
        long n = Long.parseLong(m.group(1));
        String unit = m.group(2) == null ? "ms" : m.group(2);
        Duration d = switch (unit) {
            case "us" -> {
                if (n % 1000 != 0) {
                    throw new Untranslatable("stapled times have millisecond resolution: " + haproxy);
                }
                yield Duration.ofMillis(n / 1000);
            }
            case "ms" -> Duration.ofMillis(n);
            case "s" -> Duration.ofSeconds(n);
            case "m" -> Duration.ofMinutes(n);
            case "h" -> Duration.ofHours(n);
            default -> Duration.ofDays(n);
        };
        return Durations.format(d);
    }

    /**
     * A bind or server address as stapled's host:port: {@code *:443} and {@code :443} are {@code :443},
     * HAProxy's unbracketed IPv6 ({@code :::443}, {@code 2001:db8::1:443}) gets brackets, {@code ipv4@} and
     * {@code ipv6@} prefixes go. Unix sockets, port ranges and lists are refused.
     */
    static String address(String haproxy, boolean needsPort) throws Untranslatable {
        String a = haproxy;
        if (a.startsWith("ipv4@") || a.startsWith("ipv6@") || a.startsWith("tcp@") || a.startsWith("tcp4@")
                || a.startsWith("tcp6@")) {
            a = a.substring(a.indexOf('@') + 1);
        }
        if (a.contains("@") || a.startsWith("/")) {
            throw new Untranslatable("stapled listens and connects on TCP addresses only, not " + haproxy);
        }
        if (a.contains(",")) {
            throw new Untranslatable("one address per bind in stapled: " + haproxy);
        }
        int colon = a.lastIndexOf(':');
        if (colon < 0) {
            if (needsPort) {
                throw new Untranslatable("no port in " + haproxy + " (HAProxy would use the client's port; stapled "
                        + "needs one)");
            }
            throw new Untranslatable("no port in " + haproxy);
        }
        String host = a.substring(0, colon);
        String port = a.substring(colon + 1);
        if (!port.matches("[0-9]{1,5}")) {
            throw new Untranslatable("stapled takes one port, not \"" + port + "\" (" + haproxy + ")");
        }
        if (host.equals("*") || host.isEmpty()) {
            return ":" + port;
        }
        if (host.contains(":") && !host.startsWith("[")) {
            host = "[" + host + "]";
        }
        return host + ":" + port;
    }

    /** {@code TLSv1.2} or {@code TLSv1.3} as stapled names them; older ones are below stapled's floor. */
    static int tlsVersion(String haproxy) throws Untranslatable {
        return switch (haproxy) {
            case "SSLv3", "TLSv1.0", "TLSv1.1" -> 1;
            case "TLSv1.2" -> 2;
            case "TLSv1.3" -> 3;
            default -> throw new Untranslatable("unknown TLS version " + haproxy);
        };
    }

    /** A stapled name (1-64 of {@code A-Z a-z 0-9 _ . -}, starting with a letter or digit) for an HAProxy one. */
    static String name(String haproxy) {
        String n = haproxy.replaceAll("[^A-Za-z0-9_.-]", "-");
        if (n.isEmpty() || !Character.isLetterOrDigit(n.charAt(0))) {
            n = "x" + n;
        }
        return n.length() > 64 ? n.substring(0, 64) : n;
    }
}
