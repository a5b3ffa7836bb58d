package io.stapled.metrics;

import java.net.InetSocketAddress;

import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import io.netty.util.ReferenceCountUtil;
import io.stapled.testing.TlsTestClient;

/** Client side of the metrics tests' TLS listeners (see {@link Greeter}): one full handshake, then the staple. */
final class StaplingClient {
    private StaplingClient() { }

    /**
     * One full handshake with a fresh client context (no resumption), waiting for the greeting; returns the
     * staple received, or null when none came or {@code requestStatus} is false.
     *
     * @param protocol the only TLS version to offer, checked on the session; null leaves the defaults
     */
    static byte[] handshake(InetSocketAddress server, String sni, boolean requestStatus, String protocol)
            throws Exception {
        SslContextBuilder builder = TlsTestClient.builder(SslProvider.OPENSSL).enableOcsp(requestStatus);
        if (protocol != null) {
            builder.protocols(protocol);
        }
        SslContext ctx = builder.build();
        try (TlsTestClient client = new TlsTestClient()) {
            TlsTestClient.Result result = client.connect(ctx, sni, server.getPort());
            if (protocol != null && !protocol.equals(result.protocol())) {
                throw new AssertionError(result.protocol());
            }
            return result.ocspResponse();
        } finally {
            ReferenceCountUtil.release(ctx);
        }
    }
}
