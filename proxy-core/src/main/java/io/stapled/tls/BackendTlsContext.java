package io.stapled.tls;

import static io.stapled.text.OneLine.oneLine;

import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;

import javax.net.ssl.SSLException;

import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslProvider;
import io.netty.handler.ssl.util.InsecureTrustManagerFactory;
import io.netty.util.ReferenceCountUtil;
import io.stapled.config.BackendTlsConfig;

/**
 * The client TLS context of one backend server, built once when the server is created. Every
 * connection to the server (proxied requests, TCP relays, health checks) makes its engine from this one
 * context, whose client session cache is keyed by the peer host and port: a new connection to the same
 * server offers the session of the last one and resumes it.
 */
public final class BackendTlsContext implements AutoCloseable {
    private final BackendTlsConfig config;
    private final SslContext context;

    private BackendTlsContext(BackendTlsConfig config, SslContext context) {
        this.config = config;
        this.context = context;
    }

    /**
     * Builds the context: BoringSSL when it loads (as for the frontends), the JDK otherwise.
     *
     * @param server names the server in the error, e.g. {@code backend app server app1}
     * @throws TlsSetupException when a file cannot be read or the key does not match
     */
    public static BackendTlsContext build(BackendTlsConfig config, String server) {
        SslProvider provider = OpenSsl.isAvailable() ? SslProvider.OPENSSL_REFCNT : SslProvider.JDK;
        try {
            SslContextBuilder b = SslContextBuilder.forClient()
                    .sslProvider(provider)
                    .protocols("TLSv1.2", "TLSv1.3")
                    // Netty 4.2 checks the host name by default; say it either way so verify: none is plain.
                    .endpointIdentificationAlgorithm(config.verify() ? "HTTPS" : null);
            if (config.verify()) {
                b.trustManager(config.caFile().toFile());
            } else {
                b.trustManager(InsecureTrustManagerFactory.INSTANCE);
            }
            if (config.clientCertificate() != null) {
                b.keyManager(config.clientCertificate().toFile(), config.clientKey().toFile());
            }
            if (!config.alpn().isEmpty()) {
                b.applicationProtocolConfig(new ApplicationProtocolConfig(ApplicationProtocolConfig.Protocol.ALPN,
                        ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
                        ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT, config.alpn()));
            }
            return new BackendTlsContext(config, b.build());
        } catch (SSLException | RuntimeException e) {
            throw new TlsSetupException(server + ": cannot build the TLS context to the server: " + oneLine(e), e);
        }
    }

    public BackendTlsConfig config() {
        return config;
    }

    /**
     * A client {@link SslHandler} for a connection to {@code target}. The peer host is the configured
     * {@code sni}, else the target's host: it is sent as SNI (when it is a name, not an IP literal), it
     * is the name checked in the server's certificate, and with the port it keys the session cache.
     *
     * @param handshakeTimeoutMillis the handshake fails (and the connection with it) after this long
     */
    public SslHandler newHandler(ByteBufAllocator alloc, InetSocketAddress target, long handshakeTimeoutMillis) {
        String host = config.sni() != null ? config.sni() : target.getHostString();
        SslHandler handler = context.newHandler(alloc, host, target.getPort());
        handler.setHandshakeTimeout(Math.max(1, handshakeTimeoutMillis), TimeUnit.MILLISECONDS);
        return handler;
    }

    @Override
    public void close() {
        ReferenceCountUtil.release(context);
    }
}
