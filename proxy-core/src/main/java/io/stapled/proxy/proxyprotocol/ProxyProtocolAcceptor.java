package io.stapled.proxy.proxyprotocol;

import java.net.InetAddress;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.haproxy.HAProxyMessageDecoder;
import io.stapled.config.AcceptProxyConfig;
import io.stapled.config.Cidr;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A frontend's {@code accept_proxy}: puts the PROXY header decoder (Netty's, v1 and v2) and the
 * {@link ProxyHeaderReader} at the front of each client pipeline, before TLS, and keeps the
 * frontend's counts of refused connections. One instance per frontend, shared by its connections.
 */
public final class ProxyProtocolAcceptor {
    private static final Logger log = LoggerFactory.getLogger(ProxyProtocolAcceptor.class);
    /** Names of the two handlers, first in the client pipeline. */
    public static final String DECODER_NAME = "proxy-protocol-decoder";
    public static final String READER_NAME = "proxy-protocol";

    private final String frontendName;
    private final List<Cidr> trustedSources;
    private final long timeoutMillis;
    private final AtomicLong untrusted = new AtomicLong();
    private final AtomicLong invalid = new AtomicLong();

    public ProxyProtocolAcceptor(String frontendName, AcceptProxyConfig config) {
        this.frontendName = frontendName;
        this.trustedSources = config.trustedSources();
        this.timeoutMillis = Math.max(1, config.timeout().toMillis());
    }

    /** Adds the decoder and the reader at the end of {@code pipeline}; call before any other handler. */
    public void install(ChannelPipeline pipeline) {
        pipeline.addLast(DECODER_NAME, new HAProxyMessageDecoder());
        pipeline.addLast(READER_NAME, new ProxyHeaderReader(this));
    }

    /** Connections closed because their peer is not in {@code trusted_sources}, since start. */
    public long untrusted() {
        return untrusted.get();
    }

    /** Connections closed for a missing, malformed or late header, since start. */
    public long invalid() {
        return invalid.get();
    }

    long timeoutMillis() {
        return timeoutMillis;
    }

    boolean isTrusted(InetAddress peer) {
        if (peer == null) {
            return false;
        }
        for (Cidr cidr : trustedSources) {
            if (cidr.contains(peer)) {
                return true;
            }
        }
        return false;
    }

    // Logged on the first case and every 1000th after: a scan or a misconfigured balancer would flood the log.
    void refusedUntrusted(InetAddress peer) {
        long n = untrusted.incrementAndGet();
        if (n == 1 || n % 1000 == 0) {
            log.warn("frontend {}: PROXY protocol connection from {}, which is not in accept_proxy.trusted_sources,"
                    + " closed ({} so far)", frontendName, peer == null ? "?" : peer.getHostAddress(), n);
        }
    }

    void refusedInvalid(InetAddress peer, String why) {
        long n = invalid.incrementAndGet();
        if (n == 1 || n % 1000 == 0) {
            log.warn("frontend {}: connection from {} closed: {} ({} so far)", frontendName,
                    peer == null ? "?" : peer.getHostAddress(), why, n);
        } else {
            log.debug("frontend {}: connection from {} closed: {}", frontendName,
                    peer == null ? "?" : peer.getHostAddress(), why);
        }
    }
}
