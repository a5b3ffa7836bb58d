package io.stapled.proxy.http;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.util.AsciiString;
import io.stapled.config.Cidr;

/**
 * Adds {@code X-Forwarded-For}, {@code X-Forwarded-Proto} and {@code X-Forwarded-Host}, and the
 * configured client-address header. A peer inside a trusted upstream network is another proxy in front
 * of us: its headers are kept and its address is appended to the chain. Any other peer could forge
 * them, so they are replaced; and the other headers backends commonly take a client address from,
 * {@code Forwarded} and {@code X-Real-IP}, are removed from such a peer's request even when
 * X-Forwarded-* is off, since nothing else would stop a forged one reaching the backend.
 */
final class ForwardedHeaders {
    static final AsciiString X_FORWARDED_FOR = AsciiString.cached("x-forwarded-for");
    static final AsciiString X_FORWARDED_PROTO = AsciiString.cached("x-forwarded-proto");
    static final AsciiString X_FORWARDED_HOST = AsciiString.cached("x-forwarded-host");
    static final AsciiString FORWARDED = AsciiString.cached("forwarded");
    static final AsciiString X_REAL_IP = AsciiString.cached("x-real-ip");

    private final boolean enabled;
    private final List<Cidr> trusted;
    /** Set to the peer address on every request (kept as sent by a trusted peer), or null. */
    private final AsciiString clientIpHeader;
    /** X-Forwarded-Proto: how the client reached us, https or (a plain-HTTP frontend) http. */
    private final String scheme;

    /**
     * @param clientIpHeader header to set to the client address, or null
     */
    ForwardedHeaders(boolean enabled, List<String> trustedUpstreams, String clientIpHeader) {
        this(enabled, trustedUpstreams, clientIpHeader, "https");
    }

    ForwardedHeaders(boolean enabled, List<String> trustedUpstreams, String clientIpHeader, String scheme) {
        this.scheme = scheme;
        this.enabled = enabled;
        this.clientIpHeader = clientIpHeader == null ? null : AsciiString.cached(clientIpHeader);
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
        boolean trustedPeer = isTrusted(peer);
        if (!trustedPeer) {
            headers.remove(FORWARDED);
            headers.remove(X_REAL_IP);
        }
        String peerText = null;
        if (clientIpHeader != null && (!trustedPeer || !headers.contains(clientIpHeader))) {
            peerText = peer.getHostAddress();
            headers.set(clientIpHeader, peerText);
        }
        if (!enabled) {
            return;
        }
        if (peerText == null) {
            peerText = peer.getHostAddress();
        }
        List<String> existingFor = headers.getAll(X_FORWARDED_FOR);
        if (trustedPeer && !existingFor.isEmpty()) {
            headers.set(X_FORWARDED_FOR, String.join(", ", existingFor) + ", " + peerText);
        } else {
            headers.set(X_FORWARDED_FOR, peerText);
        }
        if (!trustedPeer || !headers.contains(X_FORWARDED_PROTO)) {
            headers.set(X_FORWARDED_PROTO, scheme);
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

    /**
     * Client-address headers have no business in a request's trailers, from any peer: a backend that
     * merges trailers into the headers would take a forged address from them. All are removed.
     */
    void stripFromTrailers(HttpHeaders trailers) {
        if (trailers.isEmpty()) {
            return;
        }
        trailers.remove(FORWARDED);
        trailers.remove(X_REAL_IP);
        trailers.remove(X_FORWARDED_FOR);
        trailers.remove(X_FORWARDED_PROTO);
        trailers.remove(X_FORWARDED_HOST);
        if (clientIpHeader != null) {
            trailers.remove(clientIpHeader);
        }
    }
}
