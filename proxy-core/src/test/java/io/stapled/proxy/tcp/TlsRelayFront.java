package io.stapled.proxy.tcp;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import io.stapled.config.CertificateSource;
import io.stapled.config.FrontendConfig;
import io.stapled.config.HostPort;
import io.stapled.config.HttpConfig;
import io.stapled.config.TlsConfig;
import io.stapled.testkit.pki.CertificateBuilder;
import io.stapled.testkit.pki.IssuedCertificate;
import io.stapled.proxy.backend.BackendPool;
import io.stapled.testing.TrustingSslContext;

/**
 * A TLS frontend in TCP mode for tests: BoringSSL server context from a run-time CA, an SslHandler
 * and then {@link TcpRelayInitializer#install}, as the assembly does; JDK clients trust the CA.
 */
final class TlsRelayFront implements AutoCloseable {
    private static final IssuedCertificate CA = CertificateBuilder.subject("CN=Relay Test Root").ca().build();
    private static final IssuedCertificate LEAF = CertificateBuilder.subject("CN=localhost").issuer(CA)
            .dnsNames("localhost").build();

    final TcpRelayInitializer relay;
    private final Channel serverChannel;
    private final SSLContext clientContext;

    TlsRelayFront(EventLoopGroup group, BackendPool pool, Duration clientTimeout) throws Exception {
        FrontendConfig frontend = new FrontendConfig("tcp-front", new HostPort("127.0.0.1", 0),
                FrontendConfig.Mode.TCP, pool.name(), List.<CertificateSource>of(), null, TlsConfig.defaults(),
                HttpConfig.defaults(), 0, clientTimeout, false);
        relay = new TcpRelayInitializer(frontend, pool);
        SslContext server = SslContextBuilder.forServer(LEAF.keyPair().getPrivate(),
                        LEAF.chain().toArray(new X509Certificate[0]))
                .sslProvider(SslProvider.OPENSSL)
                .build();
        serverChannel = new ServerBootstrap()
                .group(group)
                .channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast("tls", server.newHandler(ch.alloc()));
                        relay.install(ch.pipeline());
                    }
                })
                .bind("127.0.0.1", 0).syncUninterruptibly().channel();
        clientContext = TrustingSslContext.trusting(CA.certificate());
    }

    int port() {
        return ((InetSocketAddress) serverChannel.localAddress()).getPort();
    }

    /** A connected client that has finished its handshake, with a read timeout. */
    SSLSocket connect() throws IOException {
        return connect(0);
    }

    /** As {@link #connect()}, with a receive buffer of {@code receiveBuffer} bytes if above zero. */
    SSLSocket connect(int receiveBuffer) throws IOException {
        java.net.Socket plain = new java.net.Socket();
        if (receiveBuffer > 0) {
            plain.setReceiveBufferSize(receiveBuffer);
        }
        plain.connect(new InetSocketAddress("127.0.0.1", port()), 5_000);
        SSLSocket socket = (SSLSocket) clientContext.getSocketFactory()
                .createSocket(plain, "localhost", port(), true);
        socket.setSoTimeout(10_000);
        socket.startHandshake();
        return socket;
    }

    @Override
    public void close() {
        serverChannel.close().syncUninterruptibly();
    }
}
