package io.stapled.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.math.BigInteger;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.util.ReferenceCounted;
import io.stapled.config.CertificateSource;
import io.stapled.config.FrontendConfig;
import io.stapled.config.GlobalConfig;
import io.stapled.config.HostPort;
import io.stapled.config.HttpConfig;
import io.stapled.config.TlsConfig;
import io.stapled.testkit.pki.CertificateBuilder;
import io.stapled.testkit.pki.IssuedCertificate;
import io.stapled.testkit.pki.KeyPairs;
import io.stapled.net.Transport;
import io.stapled.tls.ServingCertificate;
import io.stapled.tls.TlsFrontend;
import io.stapled.tls.TlsFrontendFactory;
import io.stapled.testing.ExternalTool;
import io.stapled.testkit.Poll;
import io.stapled.testing.TrustingSslContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Certificate transactions over the socket against real TLS frontends: after {@code commit ssl cert}
 * the next handshake gets the new certificate while an open connection carries on with the old one,
 * whose context is released when that connection ends.
 */
@Timeout(30)
class CertificateCommandsTest {
    private static final IssuedCertificate ROOT = CertificateBuilder.subject("CN=admin test root").ca().build();
    private static final IssuedCertificate INTERMEDIATE = CertificateBuilder.subject("CN=admin test intermediate")
            .issuer(ROOT).ca().build();

    @TempDir
    Path dir;
    private Path pem;
    private TlsFrontend frontend;
    private EventLoopGroup group;
    private Channel tls;
    private RuntimeApiFixture cli;
    private final List<String> swaps = new java.util.ArrayList<>();

    private static IssuedCertificate leaf(long serial, String... names) {
        return CertificateBuilder.subject("CN=" + names[0]).issuer(INTERMEDIATE).keyPair(KeyPairs.ecP256())
                .serial(BigInteger.valueOf(serial)).dnsNames(names).build();
    }

    @BeforeEach
    void start() throws Exception {
        pem = leaf(0x1001, "site.test", "www.site.test").writeBundle(dir.resolve("site.pem"));
        FrontendConfig fc = new FrontendConfig("https", new HostPort("127.0.0.1", 0), FrontendConfig.Mode.HTTP, "web",
                List.of(new CertificateSource.File(pem, null, List.of(), CertificateSource.OcspOptions.DEFAULT)),
                null, TlsConfig.defaults(), HttpConfig.defaults(), 100, Duration.ofSeconds(30), false);
        frontend = TlsFrontendFactory.create(fc, GlobalConfig.defaults());
        Transport t = Transport.best();
        group = t.newGroup(1, "tls");
        tls = new ServerBootstrap().group(group).channel(t.serverChannel())
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(frontend.newHandler(), new Echo());
                    }
                }).bind("127.0.0.1", 0).sync().channel();
        TlsCertificateAdmin admin = new TlsCertificateAdmin(List.of(frontend),
                (f, old, next) -> swaps.add(old.leaf().getSerialNumber().toString(16) + "->"
                        + next.leaf().getSerialNumber().toString(16)));
        cli = RuntimeApiFixture.start(dir, RuntimeApiContext.builder(RuntimeApiFixture.process())
                .certificates(admin).build());
    }

    @AfterEach
    void stop() {
        cli.close();
        tls.close().syncUninterruptibly();
        frontend.close();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    /** Echoes lines back after the handshake, so a connection can be kept open and used. */
    private static final class Echo extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ctx.writeAndFlush(((ByteBuf) msg));
        }
    }

    private SSLSocket connect(String sni) throws Exception {
        SSLContext ctx = TrustingSslContext.trusting(ROOT.certificate());
        InetSocketAddress a = (InetSocketAddress) tls.localAddress();
        SSLSocket s = (SSLSocket) ctx.getSocketFactory().createSocket(a.getHostString(), a.getPort());
        s.setSoTimeout(10_000);
        SSLParameters p = s.getSSLParameters();
        p.setServerNames(List.of(new SNIHostName(sni)));
        p.setEndpointIdentificationAlgorithm("HTTPS");
        s.setSSLParameters(p);
        s.startHandshake();
        return s;
    }

    private static String servedSerial(SSLSocket s) throws Exception {
        return ((X509Certificate) s.getSession().getPeerCertificates()[0]).getSerialNumber().toString(16);
    }

    private static String echo(SSLSocket s, String line) throws IOException {
        OutputStream out = s.getOutputStream();
        out.write((line + "\n").getBytes(StandardCharsets.US_ASCII));
        out.flush();
        return new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.US_ASCII)).readLine();
    }

    private static String payload(IssuedCertificate c) {
        return c.chainPem() + c.privateKeyPem();
    }

    @Test
    void committedCertificateIsServedByTheNextHandshakeWhileOpenConnectionsKeepTheOld() throws Exception {
        String file = pem.toString();
        ServingCertificate oldServing = frontend.store().current().certificates().get(0);
        try (SSLSocket open = connect("site.test")) {
            assertEquals("1001", servedSerial(open));
            IssuedCertificate next = leaf(0x1002, "site.test", "www.site.test");
            assertEquals("Transaction created for certificate " + file + "!\n\n",
                    cli.send("set ssl cert " + file + " <<\n" + payload(next) + "\n"));
            try (SSLSocket before = connect("site.test")) {
                assertEquals("1001", servedSerial(before), "nothing changes before commit");
            }
            assertEquals("Committing " + file + ".\nSuccess!\n\n", cli.send("commit ssl cert " + file + "\n"));
            assertEquals(List.of("1001->1002"), swaps);
            try (SSLSocket after = connect("www.site.test")) {
                assertEquals("1002", servedSerial(after), "the next handshake gets the new certificate");
            }
            assertEquals("still here", echo(open, "still here"), "the open connection carries on");
            assertEquals("1001", servedSerial(open));
            if (oldServing.sslContext() instanceof ReferenceCounted rc) {
                assertTrue(rc.refCnt() > 0, "the open connection still holds the old context");
            }
        }
        if (oldServing.sslContext() instanceof ReferenceCounted rc) {
            Poll.within(Duration.ofSeconds(5), () -> rc.refCnt() == 0);
            assertEquals(0, rc.refCnt(), "the old context is released once its last connection is gone");
        }
        String details = cli.send("show ssl cert " + file + "\n");
        assertTrue(details.startsWith("Filename: " + file + "\nStatus: Used\nSerial: 1002\nnotBefore: "), details);
        assertTrue(details.contains("\nSubject Alternative Name: DNS:site.test, DNS:www.site.test\nAlgorithm: EC256\n"
                + "SHA1 FingerPrint: "), details);
        assertTrue(details.contains("\nSubject: /CN=site.test\nIssuer: /CN=admin test intermediate\n"
                + "Chain Subject: /CN=admin test intermediate\nChain Issuer: /CN=admin test root\n\n"), details);
    }

    private String servedSerial() {
        return frontend.store().current().lookup("site.test").choose(true).certificate().leaf().getSerialNumber()
                .toString(16);
    }

    /**
     * The order {@code commit ssl cert} relies on to never serve the new certificate without its staple:
     * the transaction's {@code .ocsp} goes in through {@code beforeSwap}, which must run while every
     * handshake still gets the old certificate. Moving the install after the swap fails this.
     */
    @Test
    void beforeSwapRunsWhileTheOldCertificateIsStillServed() throws Exception {
        IssuedCertificate next = leaf(0x2002, "site.test", "www.site.test");
        TlsCertificateAdmin admin = new TlsCertificateAdmin(List.of(frontend), null);
        List<String> servedDuringInstall = new java.util.ArrayList<>();
        assertEquals(1, admin.replace(pem.toString(), new CertificateAdmin.CertificateMaterial(next.chain(),
                next.keyPair().getPrivate(), null, null), () -> servedDuringInstall.add(servedSerial())));
        assertEquals(List.of("1001"), servedDuringInstall);
        assertEquals("2002", servedSerial());
    }

    @Test
    void transactionIsShownAbortedAndRefusedWhenMalformed() throws Exception {
        String file = pem.toString();
        assertEquals("# filename\n" + file + "\n\n", cli.send("show ssl cert\n"));
        IssuedCertificate next = leaf(0x2002, "site.test");
        cli.send("set ssl cert " + file + " <<%EOF%\n" + payload(next) + "\n%EOF%\n");
        assertEquals("# transaction\n*" + file + "\n# filename\n" + file + "\n\n", cli.send("show ssl cert\n"));
        String tx = cli.send("show ssl cert *" + file + "\n");
        assertTrue(tx.startsWith("Filename: *" + file + "\nStatus: Uncommitted\nSerial: 2002\n"), tx);
        assertEquals("Transaction updated for certificate " + file + "!\n\n",
                cli.send("set ssl cert " + file + ".issuer <<\n" + INTERMEDIATE.certificatePem() + "\n"));
        assertEquals("The ongoing transaction is about '" + file + "' but you are trying to set '/x.pem'\n"
                + "Can't update /x.pem!\n\n", cli.send("set ssl cert /x.pem <<\n" + payload(next) + "\n"));
        assertEquals("The ongoing transaction is about '" + file + "' but you are trying to abort a transaction "
                + "for '/x.pem'\n\n", cli.send("abort ssl cert /x.pem\n"));
        assertEquals("Transaction aborted for certificate '" + file + "'!\n\n", cli.send("abort ssl cert " + file + "\n"));
        assertEquals("No ongoing transaction!\n\n", cli.send("abort ssl cert " + file + "\n"));
        assertEquals("No ongoing transaction! !\nCan't commit " + file + "!\n\n", cli.send("commit ssl cert " + file + "\n"));
        try (SSLSocket s = connect("site.test")) {
            assertEquals("1001", servedSerial(s), "an aborted transaction changes nothing");
        }

        assertEquals("Can't replace a certificate which is not referenced by the configuration!\nCan't update /nope.pem!\n\n",
                cli.send("set ssl cert /nope.pem <<\n" + payload(next) + "\n"));
        String garbage = cli.send("set ssl cert " + file + " <<\nnot a pem\n\n");
        assertTrue(garbage.endsWith("\nCan't load the payload\nCan't update " + file + "!\n\n"), garbage);
        assertEquals("'set ssl cert' expects a filename and a certificate as a payload\n\n",
                cli.send("set ssl cert " + file + "\n"));
        assertEquals("# filename\n" + file + "\n\n", cli.send("show ssl cert\n"), "a refused set opens no transaction");
    }

    @Test
    void mismatchedKeyIsRefusedAtCommitAndTheOldCertificateStays() throws Exception {
        String file = pem.toString();
        IssuedCertificate next = leaf(0x3003, "site.test");
        IssuedCertificate other = leaf(0x3004, "site.test");
        cli.send("set ssl cert " + file + " <<\n" + next.chainPem() + other.privateKeyPem() + "\n");
        assertEquals("inconsistencies between private key and certificate loaded '" + file + "'.\nCan't commit "
                + file + "!\n\n", cli.send("commit ssl cert " + file + "\n"));
        assertEquals("Transaction updated for certificate " + file + "!\n\n",
                cli.send("set ssl cert " + file + ".key <<\n" + next.privateKeyPem() + "\n"));
        assertEquals("Committing " + file + ".\nSuccess!\n\n", cli.send("commit ssl cert " + file + "\n"));
        try (SSLSocket s = connect("site.test")) {
            assertEquals("3003", servedSerial(s));
        }
    }

    @Test
    void payloadIsAssembledAsAFileIsWhateverTheOrderOfItsBlocks() throws Exception {
        String file = pem.toString();
        IssuedCertificate next = leaf(0x3007, "site.test");
        // the key first, then the issuer before the leaf: a file in this order loads, so the payload commits
        cli.send("set ssl cert " + file + " <<\n" + next.privateKeyPem() + INTERMEDIATE.certificatePem()
                + next.certificatePem() + "\n");
        assertEquals("Committing " + file + ".\nSuccess!\n\n", cli.send("commit ssl cert " + file + "\n"));
        try (SSLSocket s = connect("site.test")) {
            assertEquals("3007", servedSerial(s), "served leaf first, so the client validates the chain");
        }
        String details = cli.send("show ssl cert " + file + "\n");
        assertTrue(details.startsWith("Filename: " + file + "\nStatus: Used\nSerial: 3007\n"), details);
        assertTrue(details.contains("\nChain Subject: /CN=admin test intermediate\n"), details);
    }

    @Test
    void newCertificateIsCheckedAsAServedOneIs() throws Exception {
        cli.send("new ssl cert /etc/new.pem\n");
        IssuedCertificate c = leaf(0x3008, "new.test");
        IssuedCertificate other = leaf(0x3009, "new.test");
        cli.send("set ssl cert /etc/new.pem <<\n" + c.chainPem() + other.privateKeyPem() + "\n");
        assertEquals("inconsistencies between private key and certificate loaded '/etc/new.pem'.\n"
                + "Can't commit /etc/new.pem!\n\n", cli.send("commit ssl cert /etc/new.pem\n"));
        assertTrue(cli.send("show ssl cert /etc/new.pem\n").startsWith("Filename: /etc/new.pem\nStatus: Empty\n"));
    }

    @Test
    void payloadWithTwoPrivateKeysIsRefused() throws Exception {
        String file = pem.toString();
        IssuedCertificate next = leaf(0x3005, "site.test");
        IssuedCertificate other = leaf(0x3006, "site.test");
        assertEquals("more than one private key\nCan't load the payload\nCan't update " + file + "!\n\n",
                cli.send("set ssl cert " + file + " <<\n" + payload(next) + other.privateKeyPem() + "\n"));
        assertEquals("No ongoing transaction!\n\n", cli.send("abort ssl cert " + file + "\n"));
    }

    @Test
    void newEmptyCertificateCanBeFilledCommittedAndDeleted() throws Exception {
        assertEquals("New empty certificate store '/etc/new.pem'!\n\n", cli.send("new ssl cert /etc/new.pem\n"));
        assertEquals("Certificate '/etc/new.pem' already exists!\n\n", cli.send("new ssl cert /etc/new.pem\n"));
        assertEquals("Filename: /etc/new.pem\nStatus: Empty\n\n", cli.send("show ssl cert /etc/new.pem\n"));
        IssuedCertificate c = leaf(0x4004, "new.test");
        assertEquals("Transaction created for certificate /etc/new.pem!\n\n",
                cli.send("set ssl cert /etc/new.pem <<\n" + payload(c) + "\n"));
        assertEquals("Committing /etc/new.pem\nSuccess!\n\n", cli.send("commit ssl cert /etc/new.pem\n"));
        assertTrue(cli.send("show ssl cert /etc/new.pem\n").startsWith("Filename: /etc/new.pem\nStatus: Unused\nSerial: 4004\n"));
        try (SSLSocket s = connect("site.test")) {
            assertEquals("1001", servedSerial(s), "an unused certificate serves nothing");
        }
        assertEquals("Can't remove the certificate: certificate '" + pem + "' in use, can't be deleted!\n\n",
                cli.send("del ssl cert " + pem + "\n"));
        assertEquals("Certificate '/etc/new.pem' deleted!\n\n", cli.send("del ssl cert /etc/new.pem\n"));
        assertEquals("Can't remove the certificate: certificate '/etc/new.pem' doesn't exist!\n\n",
                cli.send("del ssl cert /etc/new.pem\n"));
        assertFalse(cli.send("show ssl cert\n").contains("new.pem"));
    }

    @Test
    void haproxyDocumentedOneLinersWorkUnchanged() throws Exception {
        ExternalTool.assumeInstalled("socat");
        leaf(0x5005, "site.test").writeBundle(dir.resolve("127.0.0.1.pem"));
        String file = pem.toString();
        assertEquals("Transaction created for certificate " + file + "!\n\n", Socat.shell(cli.socket, dir,
                "echo -e \"set ssl cert " + file + " <<\\n$(cat 127.0.0.1.pem)\\n\" | socat $SOCK -"));
        assertEquals("Transaction updated for certificate " + file + "!\n\n", Socat.shell(cli.socket, dir,
                "echo -e \"set ssl cert " + file + " <<\\n$(sed -n '/^$/d;/-BEGIN/,/-END/p' 127.0.0.1.pem)\\n\""
                        + " | socat $SOCK -"));
        assertEquals("Committing " + file + ".\nSuccess!\n\n", Socat.shell(cli.socket, dir,
                "echo \"commit ssl cert " + file + "\" | socat $SOCK -"));
        try (SSLSocket s = connect("site.test")) {
            assertEquals("5005", servedSerial(s));
        }
    }

    @Test
    void fileServedByTwoFrontendsIsReplacedInBoth() throws Exception {
        FrontendConfig fc2 = new FrontendConfig("https2", new HostPort("127.0.0.1", 0), FrontendConfig.Mode.HTTP,
                "web", List.of(new CertificateSource.File(pem, null, List.of(), CertificateSource.OcspOptions.DEFAULT)),
                null, TlsConfig.defaults(), HttpConfig.defaults(), 100, Duration.ofSeconds(30), false);
        TlsFrontend second = TlsFrontendFactory.create(fc2, GlobalConfig.defaults());
        Path sub = java.nio.file.Files.createDirectories(dir.resolve("two"));
        try (RuntimeApiFixture both = RuntimeApiFixture.start(sub, RuntimeApiContext.builder(RuntimeApiFixture.process())
                .certificates(new TlsCertificateAdmin(List.of(frontend, second), null)).build())) {
            IssuedCertificate next = leaf(0x9009, "site.test");
            both.send("set ssl cert " + pem + " <<\n" + payload(next) + "\n");
            assertEquals("Committing " + pem + "..\nSuccess!\n\n", both.send("commit ssl cert " + pem + "\n"),
                    "one dot per frontend, as HAProxy prints one per instance");
            assertEquals(BigInteger.valueOf(0x9009),
                    second.store().current().certificates().get(0).certificate().leaf().getSerialNumber());
            try (SSLSocket s = connect("site.test")) {
                assertEquals("9009", servedSerial(s));
            }
        } finally {
            second.close();
        }
    }

    @Test
    void certificateCommandsNeedTheirLevel() throws Exception {
        try (CliClient c = cli.connect()) {
            c.write("operator;show ssl cert;commit ssl cert " + pem + "\n");
            assertEquals("\n# filename\n" + pem + "\n\nPermission denied\n\n", c.readToEof(Duration.ofSeconds(10)));
        }
    }
}
