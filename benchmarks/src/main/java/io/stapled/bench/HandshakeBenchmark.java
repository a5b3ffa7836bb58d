package io.stapled.bench;

import java.util.concurrent.TimeUnit;

import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLException;

import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.handler.ssl.ReferenceCountedOpenSslEngine;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import io.netty.handler.ssl.util.InsecureTrustManagerFactory;
import io.netty.util.ReferenceCountUtil;
import io.stapled.testkit.pki.IssuedCertificate;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * A full TLS handshake in memory, client and server engines in one thread: what one new connection
 * costs in TLS work, without sockets. The client is always BoringSSL (so differences come from the
 * server side); the server is BoringSSL through netty-tcnative, as stapled runs it, or the JDK's
 * provider. With {@code staple=true} the client sends status_request and a BoringSSL server staples a
 * real OCSP response exactly as stapled's handshake path does ({@code setOcspResponse} before the
 * handshake); the JDK's SSLEngine has no way to set a response, so a JDK server receives the request
 * and answers without a staple. No session is ever resumed (engines made without peer host/port are
 * not cached), so every operation is a full handshake, including the TLS 1.3 session tickets the
 * server sends after it.
 */
@State(Scope.Thread)
@OutputTimeUnit(TimeUnit.SECONDS)
public class HandshakeBenchmark extends ShortRun {

    @Param({"boringssl", "jdk"})
    public String provider;

    @Param({"TLSv1.3", "TLSv1.2"})
    public String protocol;

    @Param({"ecdsa", "rsa"})
    public String key;

    @Param({"false", "true"})
    public boolean staple;

    private SslContext serverContext;
    private SslContext clientContext;
    private byte[] stapleDer;
    private boolean openSslServer;
    private final ByteBufAllocator alloc = PooledByteBufAllocator.DEFAULT;
    private final InMemoryHandshake handshake = new InMemoryHandshake();

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        BenchPki pki = BenchPki.create();
        boolean ecdsa = "ecdsa".equals(key);
        IssuedCertificate leaf = pki.leaf(ecdsa);
        stapleDer = pki.staple(ecdsa);
        openSslServer = "boringssl".equals(provider);
        SslContextBuilder server = SslContextBuilder
                .forServer(leaf.keyPair().getPrivate(), leaf.chain())
                .sslProvider(openSslServer ? SslProvider.OPENSSL_REFCNT : SslProvider.JDK)
                .protocols(protocol);
        if (openSslServer) {
            server.enableOcsp(true); // as stapled's ServerContextFactory does for every BoringSSL context
        }
        serverContext = server.build();
        clientContext = SslContextBuilder.forClient()
                .sslProvider(SslProvider.OPENSSL_REFCNT)
                .trustManager(InsecureTrustManagerFactory.INSTANCE)
                .protocols(protocol)
                .enableOcsp(staple)
                .build();
        checkOnce();
    }

    /** One handshake before measuring: the protocol is the one asked for, a staple arrives when it should. */
    private void checkOnce() throws SSLException {
        SSLEngine client = clientContext.newEngine(alloc);
        SSLEngine server = serverContext.newEngine(alloc);
        try {
            if (staple && server instanceof ReferenceCountedOpenSslEngine s) {
                s.setOcspResponse(stapleDer);
            }
            handshake.run(client, server);
            String negotiated = client.getSession().getProtocol();
            if (!protocol.equals(negotiated)) {
                throw new IllegalStateException("negotiated " + negotiated + ", expected " + protocol);
            }
            // a client that did not ask for OCSP may not even look for a staple
            byte[] received = staple ? ((ReferenceCountedOpenSslEngine) client).getOcspResponse() : null;
            boolean gotStaple = received != null && received.length > 0;
            if (gotStaple != (staple && openSslServer)) {
                throw new IllegalStateException("staple received: " + gotStaple + ", expected "
                        + (staple && openSslServer));
            }
        } finally {
            ReferenceCountUtil.release(client);
            ReferenceCountUtil.release(server);
        }
    }

    @Benchmark
    public int fullHandshake() throws SSLException {
        SSLEngine client = clientContext.newEngine(alloc);
        SSLEngine server = serverContext.newEngine(alloc);
        try {
            if (staple && openSslServer) {
                ((ReferenceCountedOpenSslEngine) server).setOcspResponse(stapleDer);
            }
            return handshake.run(client, server);
        } finally {
            ReferenceCountUtil.release(client);
            ReferenceCountUtil.release(server);
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        ReferenceCountUtil.release(serverContext);
        ReferenceCountUtil.release(clientContext);
    }
}
