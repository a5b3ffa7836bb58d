package io.stapled.admin;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigInteger;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.stapled.config.CertificateSource;
import io.stapled.config.FrontendConfig;
import io.stapled.config.GlobalConfig;
import io.stapled.config.HostPort;
import io.stapled.config.HttpConfig;
import io.stapled.config.TlsConfig;
import io.stapled.ocsp.ManagedCertificate;
import io.stapled.ocsp.OcspManager;
import io.stapled.ocsp.OcspSettings;
import io.stapled.ocsp.OcspSubject;
import io.stapled.testkit.pki.CertificateBuilder;
import io.stapled.testkit.pki.IssuedCertificate;
import io.stapled.testkit.pki.KeyPairs;
import io.stapled.testkit.responder.OcspResponderServer;
import io.stapled.testkit.responder.OcspResponderServer.Behaviour;
import io.stapled.net.Transport;
import io.stapled.tls.LoadedCertificate;
import io.stapled.tls.TlsFrontend;
import io.stapled.tls.TlsFrontendFactory;
import io.stapled.testkit.TlsTestClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The runtime API, the OCSP engine and a TLS frontend together: what is pushed or committed on the
 * socket is what the next handshake serves and staples.
 */
@Timeout(30)
class RuntimeApiStaplingTest {
    private static final IssuedCertificate ROOT = CertificateBuilder.subject("CN=stapling root").ca().build();
    private static final IssuedCertificate INTER = CertificateBuilder.subject("CN=stapling intermediate")
            .issuer(ROOT).ca().build();

    @TempDir
    Path dir;
    private OcspResponderServer responder;
    private OcspManager manager;
    private TlsFrontend frontend;
    private EventLoopGroup group;
    private Channel server;
    private RuntimeApiFixture cli;
    private TlsTestClient probe;
    private String file;

    private IssuedCertificate leaf(long serial) {
        return CertificateBuilder.subject("CN=staple.test").issuer(INTER).keyPair(KeyPairs.ecP256())
                .dnsNames("staple.test").ocspUrl(responder.url()).serial(BigInteger.valueOf(serial)).build();
    }

    @BeforeEach
    void start() throws Exception {
        responder = OcspResponderServer.builder(INTER).start();
        Path pem = leaf(0x5005).writeBundle(dir.resolve("staple.pem"));
        file = pem.toString();
        frontend = TlsFrontendFactory.create(new FrontendConfig("https", new HostPort("127.0.0.1", 0),
                FrontendConfig.Mode.HTTP, "web",
                List.of(new CertificateSource.File(pem, null, List.of(), CertificateSource.OcspOptions.DEFAULT)),
                null, TlsConfig.defaults(), HttpConfig.defaults(), 100, Duration.ofSeconds(30), false),
                GlobalConfig.defaults());
        LoadedCertificate lc = frontend.certificates().get(0);
        manager = OcspManager.builder().settings(OcspSettings.builder().persist(false).watchFiles(false).build()).build();
        manager.manage(new OcspSubject(file, lc.leaf(), lc.issuer(), lc.source(), null, true, lc.stapleSlot()));
        manager.start();
        assertTrue(manager.awaitInitialRound(Duration.ofSeconds(10)));
        Transport t = Transport.best();
        group = t.newGroup(1, "tls");
        server = new ServerBootstrap().group(group).channel(t.serverChannel())
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(frontend.newHandler());
                    }
                }).bind("127.0.0.1", 0).sync().channel();
        OcspManagerAdmin ocsp = new OcspManagerAdmin(manager);
        cli = RuntimeApiFixture.start(dir, RuntimeApiContext.builder(RuntimeApiFixture.process())
                .ocsp(ocsp)
                .certificates(new TlsCertificateAdmin(List.of(frontend),
                        ocsp.swapFollower(c -> c.source().toString())))
                .build());
        probe = new TlsTestClient();
    }

    @AfterEach
    void stop() {
        probe.close();
        cli.close();
        server.close().syncUninterruptibly();
        frontend.close();
        manager.close();
        responder.close();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    private int port() {
        return ((InetSocketAddress) server.localAddress()).getPort();
    }

    @Test
    void pushedResponseIsStapledByTheNextHandshake() throws Exception {
        TlsTestClient.Result first = probe.handshake(port(), "staple.test");
        assertNotNull(first.ocspResponse(), "stapled from the start-up fetch");
        byte[] pushed = responder.responseFor(BigInteger.valueOf(0x5005), Behaviour.DELEGATED);
        assertEquals("OCSP Response updated!\n\n",
                cli.send("set ssl ocsp-response " + Base64.getEncoder().encodeToString(pushed) + "\n"));
        assertArrayEquals(pushed, probe.handshake(port(), "staple.test").ocspResponse());

        byte[] forged = responder.responseFor(BigInteger.valueOf(0x5005), Behaviour.FORGED);
        cli.send("set ssl ocsp-response " + Base64.getEncoder().encodeToString(forged) + "\n");
        assertArrayEquals(pushed, probe.handshake(port(), "staple.test").ocspResponse(), "a refused push changes nothing");
    }

    @Test
    void committedCertificateAndItsOcspPartAreServedAndStapledTogether() throws Exception {
        assertEquals("5005", probe.handshake(port(), "staple.test").serialHex());
        IssuedCertificate next = leaf(0x6006);
        // the new certificate's own fetch fails, so its staple can only be the one sent with it
        responder.behaviour(BigInteger.valueOf(0x6006), Behaviour.HTTP_500);
        byte[] ocsp = responder.responseFor(BigInteger.valueOf(0x6006), Behaviour.GOOD);
        cli.send("set ssl cert " + file + " <<\n" + next.chainPem() + next.privateKeyPem() + "\n");
        assertEquals("Transaction updated for certificate " + file + "!\n\n", cli.send("set ssl cert " + file
                + ".ocsp <<\n" + Base64.getMimeEncoder().encodeToString(ocsp).replace("\r\n", "\n") + "\n\n"));
        String pending = cli.send("show ssl cert *" + file + ".ocsp\n");
        assertTrue(pending.startsWith("OCSP Response Data:\n") && pending.contains("Serial Number: 6006\n"), pending);
        assertTrue(cli.send("show ssl cert " + file + ".ocsp\n").contains("Serial Number: 5005\n"),
                "the committed certificate's staple until the commit");
        assertEquals("Committing " + file + ".\nSuccess!\n\n", cli.send("commit ssl cert " + file + "\n"));

        TlsTestClient.Result seen = probe.handshake(port(), "staple.test");
        assertEquals("6006", seen.serialHex(), "the next handshake serves the new certificate");
        assertArrayEquals(ocsp, seen.ocspResponse(), "with the staple committed with it");
        ManagedCertificate mc = manager.certificate(file);
        assertEquals(BigInteger.valueOf(0x6006), mc.subject().leaf().getSerialNumber(), "the OCSP engine follows");
        assertTrue(cli.send("show ssl ocsp-response\n").contains("   Serial Number: 6006\n"));
        assertTrue(cli.send("show ssl cert " + file + "\n").contains("\nOCSP Response Key: " + mc.certIdHex() + "\n"));
    }
}
