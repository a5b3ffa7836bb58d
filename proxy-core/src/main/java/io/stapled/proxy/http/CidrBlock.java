package io.stapled.proxy.http;

import java.net.InetAddress;
import java.net.UnknownHostException;

/** An IPv4 or IPv6 network in CIDR notation ({@code 10.0.0.0/8}, {@code ::1/128}, or a bare address). */
record CidrBlock(byte[] network, int prefixLength) {

    static CidrBlock parse(String text) {
        String trimmed = text.trim();
        int slash = trimmed.indexOf('/');
        String host = slash < 0 ? trimmed : trimmed.substring(0, slash);
        if (host.isEmpty() || !(Character.digit(host.charAt(0), 16) >= 0 || host.charAt(0) == ':')) {
            throw new IllegalArgumentException("trusted upstream '" + text + "' is not an IP address or CIDR");
        }
        byte[] address;
        try {
            // Only literals reach here (checked above), so this never does a DNS lookup.
            address = InetAddress.getByName(host).getAddress();
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("trusted upstream '" + text + "' is not an IP address or CIDR", e);
        }
        int bits = address.length * 8;
        int prefix = bits;
        if (slash >= 0) {
            try {
                prefix = Integer.parseInt(trimmed.substring(slash + 1));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("trusted upstream '" + text + "' has a bad prefix length", e);
            }
            if (prefix < 0 || prefix > bits) {
                throw new IllegalArgumentException(
                        "trusted upstream '" + text + "' prefix length must be 0.." + bits);
            }
        }
        return new CidrBlock(address, prefix);
    }

    boolean contains(InetAddress address) {
        byte[] candidate = address.getAddress();
        if (candidate.length != network.length) {
            return false;
        }
        int fullBytes = prefixLength / 8;
        for (int i = 0; i < fullBytes; i++) {
            if (candidate[i] != network[i]) {
                return false;
            }
        }
        int remaining = prefixLength % 8;
        if (remaining == 0) {
            return true;
        }
        int mask = (0xFF << (8 - remaining)) & 0xFF;
        return (candidate[fullBytes] & mask) == (network[fullBytes] & mask);
    }
}
