package io.stapled.proxy.http;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.util.AsciiString;
import io.stapled.config.Cidr;

/**
 * Adds {@code X-Forwarded-For}, {@code X-Forwarded-Proto} and {@code X-Forwarded-Host}. A peer inside a
 * trusted upstream network is another proxy in front of us: its headers are kept and its address is
 * appended to the chain. Any other peer could forge them, so they are replaced.
 */
final class ForwardedHeaders {
    static final AsciiString X_FORWARDED_FOR = AsciiString.cached("x-forwarded-for");
    static final AsciiString X_FORWARDED_PROTO = AsciiString.cached("x-forwarded-proto");
    static final AsciiString X_FORWARDED_HOST = AsciiString.cached("x-forwarded-host");

    private final boolean enabled;
    private final List<Cidr> trusted;

    ForwardedHeaders(boolean enabled, List<String> trustedUpstreams) {
        this.enabled = enabled;
        List<Cidr> blocks = new ArrayList<>();
        for (String cidr : trustedUpstreams) {
            blocks.add(Cidr.parse(cidr));
        }
        this.trusted = List.copyOf(blocks);
    }

    boolean isTrusted(InetAddress peer) {
        for (Cidr block : trusted) {
            if (block.contains(peer)) {
                return true;
            }
        }
        return false;
    }

    void apply(HttpHeaders headers, InetAddress peer) {
        if (!enabled) {
            return;
        }
        String peerText = peer.getHostAddress();
        boolean trustedPeer = isTrusted(peer);
        List<String> existingFor = headers.getAll(X_FORWARDED_FOR);
        if (trustedPeer && !existingFor.isEmpty()) {
            headers.set(X_FORWARDED_FOR, String.join(", ", existingFor) + ", " + peerText);
        } else {
            headers.set(X_FORWARDED_FOR, peerText);
        }
        if (!trustedPeer || !headers.contains(X_FORWARDED_PROTO)) {
            headers.set(X_FORWARDED_PROTO, "https");
        }
        if (!trustedPeer || !headers.contains(X_FORWARDED_HOST)) {
            String host = headers.get(HttpHeaderNames.HOST);
            if (host != null) {
                headers.set(X_FORWARDED_HOST, host);
            } else {
                headers.remove(X_FORWARDED_HOST);
            }
        }
    }
}
