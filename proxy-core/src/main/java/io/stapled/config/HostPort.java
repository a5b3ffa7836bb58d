package io.stapled.config;

import io.netty.util.NetUtil;

import java.net.InetSocketAddress;
import java.util.regex.Pattern;

/** A host (name or literal, IPv6 without brackets) and a port; port 0 means ephemeral. */
public record HostPort(String host, int port) {

    /** The host {@code :8443} stands for. */
    public static final String ALL_INTERFACES = "0.0.0.0";

    private static final Pattern HOSTNAME =
            Pattern.compile("(?i)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*\\.?");

    public HostPort {
        if (host == null || host.isEmpty()) {
            throw new IllegalArgumentException("host must not be empty");
        }
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port must be 0 to 65535, got " + port);
        }
    }

    /**
     * Parses {@code 127.0.0.1:8443}, {@code [::1]:8443}, {@code example.com:443}, or {@code :8443} (all
     * interfaces). Never resolves names.
     *
     * @throws IllegalArgumentException with a message fit for a config error
     */
    public static HostPort parse(String text) {
        String t = text.strip();
        int colon = t.lastIndexOf(':');
        if (colon < 0) {
            String hint = !t.isEmpty() && t.chars().allMatch(Character::isDigit)
                    ? " (for all interfaces write \":" + t + "\")" : "";
            throw new IllegalArgumentException("expected host:port, got \"" + text + "\"" + hint);
        }
        String host = t.substring(0, colon);
        String portText = t.substring(colon + 1);
        if (host.startsWith("[")) {
            if (!host.endsWith("]")) {
                throw new IllegalArgumentException("expected [IPv6]:port, got \"" + text + "\"");
            }
            host = host.substring(1, host.length() - 1);
            if (!NetUtil.isValidIpV6Address(host)) {
                throw new IllegalArgumentException("not an IPv6 address: \"" + host + "\" in \"" + text + "\"");
            }
        } else if (host.indexOf(':') >= 0) {
            throw new IllegalArgumentException(
                    "IPv6 addresses need brackets, like [::1]:8443, got \"" + text + "\"");
        } else if (host.isEmpty()) {
            host = ALL_INTERFACES;
        } else if (!NetUtil.isValidIpV4Address(host) && !HOSTNAME.matcher(host).matches()) {
            throw new IllegalArgumentException("not a valid host name or address: \"" + host + "\" in \"" + text + "\"");
        }
        if (portText.isEmpty() || portText.length() > 5 || !portText.chars().allMatch(Character::isDigit)) {
            throw new IllegalArgumentException("expected host:port with a numeric port, got \"" + text + "\"");
        }
        int port = Integer.parseInt(portText);
        if (port > 65535) {
            throw new IllegalArgumentException("port must be 0 to 65535, got " + port + " in \"" + text + "\"");
        }
        return new HostPort(host, port);
    }

    /** {@code localhost}, 127.0.0.0/8 or ::1 — decided from the text alone, without DNS. */
    public boolean isLoopback() {
        if (host.equalsIgnoreCase("localhost") || host.equalsIgnoreCase("localhost.")) {
            return true;
        }
        byte[] bytes = NetUtil.createByteArrayFromIpAddressString(host);
        if (bytes == null) {
            return false;
        }
        if (bytes.length == 4) {
            return bytes[0] == 127;
        }
        boolean zeroPrefix = true;
        for (int i = 0; i < 10; i++) {
            zeroPrefix &= bytes[i] == 0;
        }
        if (!zeroPrefix) {
            return false;
        }
        if (bytes[10] == (byte) 0xff && bytes[11] == (byte) 0xff) {
            return bytes[12] == 127; // IPv4-mapped 127.0.0.0/8
        }
        return bytes[10] == 0 && bytes[11] == 0 && bytes[12] == 0 && bytes[13] == 0 && bytes[14] == 0
                && bytes[15] == 1;
    }

    public InetSocketAddress toSocketAddress() {
        return new InetSocketAddress(host, port);
    }

    @Override
    public String toString() {
        return host.indexOf(':') >= 0 ? "[" + host + "]:" + port : host + ":" + port;
    }
}
