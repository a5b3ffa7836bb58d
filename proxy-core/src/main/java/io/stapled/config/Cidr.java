package io.stapled.config;

import io.netty.util.NetUtil;

import java.net.InetAddress;
import java.util.Arrays;

/**
 * An IPv4 or IPv6 network such as {@code 10.0.0.0/8} or {@code fd00::/8}; a bare address means a single
 * host. Parsed without DNS. Immutable; {@link #contains} is allocation-free.
 */
public final class Cidr {

    private final byte[] network;
    private final int prefix;

    private Cidr(byte[] network, int prefix) {
        this.network = network;
        this.prefix = prefix;
    }

    /**
     * Parses {@code address/prefix} or a bare address.
     *
     * @throws IllegalArgumentException with a message fit for a config error
     */
    public static Cidr parse(String text) {
        String t = text.strip();
        int slash = t.indexOf('/');
        String address = slash < 0 ? t : t.substring(0, slash);
        byte[] bytes = NetUtil.isValidIpV4Address(address) || NetUtil.isValidIpV6Address(address)
                ? NetUtil.createByteArrayFromIpAddressString(address) : null;
        if (bytes == null) {
            throw new IllegalArgumentException("expected a CIDR like 10.0.0.0/8 or fd00::/8, got \"" + text + "\"");
        }
        int max = bytes.length * 8;
        int prefix = max;
        if (slash >= 0) {
            String p = t.substring(slash + 1);
            if (p.isEmpty() || p.length() > 3 || !p.chars().allMatch(Character::isDigit)
                    || Integer.parseInt(p) > max) {
                throw new IllegalArgumentException(
                        "prefix length must be 0 to " + max + " in \"" + text + "\"");
            }
            prefix = Integer.parseInt(p);
        }
        return new Cidr(mask(bytes, prefix), prefix);
    }

    private static byte[] mask(byte[] bytes, int prefix) {
        byte[] masked = bytes.clone();
        for (int i = 0; i < masked.length; i++) {
            int bits = Math.max(0, Math.min(8, prefix - i * 8));
            masked[i] &= (byte) (0xff << (8 - bits));
        }
        return masked;
    }

    /** True when {@code address} is in this network; an IPv4 address never matches an IPv6 network. */
    public boolean contains(InetAddress address) {
        return contains(address.getAddress());
    }

    /** Same as {@link #contains(InetAddress)} on raw address bytes (4 or 16). */
    public boolean contains(byte[] address) {
        if (address.length != network.length) {
            return false;
        }
        int full = prefix / 8;
        for (int i = 0; i < full; i++) {
            if (address[i] != network[i]) {
                return false;
            }
        }
        int rest = prefix % 8;
        if (rest == 0) {
            return true;
        }
        int m = 0xff << (8 - rest);
        return (address[full] & m) == (network[full] & m);
    }

    public int prefix() {
        return prefix;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Cidr c && c.prefix == prefix && Arrays.equals(c.network, network);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(network) * 31 + prefix;
    }

    /** Canonical form with host bits cleared, e.g. {@code 10.0.0.0/8} or {@code fd00::/8}. */
    @Override
    public String toString() {
        return NetUtil.bytesToIpAddress(network) + "/" + prefix;
    }
}
