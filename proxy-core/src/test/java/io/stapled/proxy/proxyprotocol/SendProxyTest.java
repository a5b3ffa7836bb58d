package io.stapled.proxy.proxyprotocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import io.netty.channel.EventLoopGroup;
import io.stapled.net.Transport;
import io.stapled.proxy.proxyprotocol.RecordingBackend.Header;
import io.stapled.testing.StapledServerExtension;
import io.stapled.testing.TrustingSslContext;
import io.stapled.testkit.Poll;

/**
 * {@code send_proxy} through the real server to backends that decode the header with Netty's
 * {@code HAProxyMessageDecoder}: the client's address (the one a PROXY header in front gave, when
 * there is one), the SNI as PP2_TYPE_AUTHORITY and PP2_TYPE_SSL with the TLS version in v2; in HTTP
 * mode a backend connection is private to the client connection its header named; health checks send
 * LOCAL (v2) or UNKNOWN (v1).
 */
@Timeout(60)
class SendProxyTest {
    private static final EventLoopGroup GROUP = Transport.nio().newGroup(1, "send-proxy-backends");
    private static final RecordingBackend HTTP_V2 = RecordingBackend.http("v2", GROUP, true);
    private static final RecordingBackend HTTP_V1 = RecordingBackend.http("v1", GROUP, true);
    private static final RecordingBackend ECHO_V2 = RecordingBackend.echo("echo", GROUP, true);
    private static final RecordingBackend ECHO_V1 = RecordingBackend.echo("echo1", GROUP, true);
    private static final RecordingBackend PLAIN = RecordingBackend.http("plain", GROUP, false);
    private static final RecordingBackend ADDED = RecordingBackend.http("added", GROUP, true);

    @RegisterExtension
    static final StapledServerExtension STAPLED = StapledServerExtension.fromYaml("""
            global: { workers: 1 }
            frontends:
              - name: http2
                bind: 127.0.0.1:0
                backend: to_v2
                accept_proxy: true
                tls: { alpn: [http/1.1] }
                certificates:
                  - crt: ${cert:send.test}
              - name: http1
                bind: 127.0.0.1:0
                backend: to_v1
                certificates:
                  - crt: ${cert:one.test}
              - name: tcp2
                bind: 127.0.0.1:0
                mode: tcp
                backend: echo_v2
                certificates:
                  - crt: ${cert:tcp.test}
              - name: tcp1
                bind: 127.0.0.1:0
                mode: tcp
                backend: echo_v1
                accept_proxy: true
                certificates:
                  - crt: ${cert:tcp1.test}
              - name: dyn
                bind: 127.0.0.1:0
                backend: dyn
                certificates:
                  - crt: ${cert:dyn.test}
            runtime_api: { socket: ${socket}, level: admin }
            backends:
              - name: dyn
                servers:
                  - { name: old, address: 127.0.0.1:${port:plain} }
              - name: to_v2
                health_check: { type: http, interval: 100ms, rise: 1 }
                servers:
                  - { name: v2, address: 127.0.0.1:${port:v2}, send_proxy: v2 }
              - name: to_v1
                health_check: { type: http, interval: 100ms, rise: 1 }
                servers:
                  - { name: v1, address: 127.0.0.1:${port:v1}, send_proxy: v1 }
              - name: echo_v2
                servers:
                  - { name: e, address: 127.0.0.1:${port:echo}, send_proxy: v2 }
              - name: echo_v1
                servers:
                  - { name: e, address: 127.0.0.1:${port:echo1}, send_proxy: v1 }
            """).port("v2", HTTP_V2::port).port("v1", HTTP_V1::port).port("echo", ECHO_V2::port)
            .port("echo1", ECHO_V1::port).port("plain", PLAIN::port);

    @AfterAll
    static void stopBackends() {
        HTTP_V2.close();
        HTTP_V1.close();
        ECHO_V2.close();
        ECHO_V1.close();
        PLAIN.close();
        ADDED.close();
        GROUP.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS);
    }

    private static List<Header> proxied(RecordingBackend backend) {
        return backend.headers.stream().filter(h -> h.command().equals("PROXY") && !h.protocol().equals("UNKNOWN"))
                .toList();
    }

    @Test
    void v2CarriesTheClientFromTheHeaderInFrontAndTheTlsFacts() throws Exception {
        int before = proxied(HTTP_V2).size();
        try (ProxyClient c = ProxyClient.connect(STAPLED.port("http2"),
                ProxyClient.v1("PROXY TCP4 203.0.113.9 192.0.2.80 5555 443"))) {
            c.handshake(STAPLED.root(), "send.test");
            assertEquals("v2 203.0.113.9", c.get("send.test", "/one"));
            // The second request on the same client connection reuses its private backend connection.
            assertEquals("v2 203.0.113.9", c.get("send.test", "/two"));
        }
        List<Header> headers = proxied(HTTP_V2);
        assertEquals(before + 1, headers.size(), "one backend connection for two requests: " + headers);
        Header h = headers.get(headers.size() - 1);
        assertEquals("TCP4", h.protocol());
        assertEquals("203.0.113.9", h.source());
        assertEquals(5555, h.sourcePort());
        assertEquals("192.0.2.80", h.destination());
        assertEquals("send.test", h.authority());
        assertEquals("http/1.1", h.alpn());
        assertTrue(h.clientSsl());
        assertNotEquals(0, h.verify(), "no client certificate was verified");
        assertTrue(h.sslVersion().startsWith("TLSv1."), h.sslVersion());
        assertTrue(h.cipher() != null && !h.cipher().isEmpty(), String.valueOf(h.cipher()));
    }

    @Test
    void aBackendConnectionIsNeverLentToAnotherClient() throws Exception {
        Poll.until(Duration.ofSeconds(5), "earlier backend connections closed", () -> HTTP_V2.openProxied.get() == 0);
        int before = proxied(HTTP_V2).size();
        for (String client : List.of("198.51.100.1", "198.51.100.2", "198.51.100.1")) {
            try (ProxyClient c = ProxyClient.connect(STAPLED.port("http2"),
                    ProxyClient.v1("PROXY TCP4 " + client + " 127.0.0.1 4000 443"))) {
                c.handshake(STAPLED.root(), "send.test");
                assertEquals("v2 " + client, c.get("send.test", "/"));
                assertEquals(1, HTTP_V2.openProxied.get());
            }
            // The client's private backend connection closes with it.
            Poll.until(Duration.ofSeconds(5), "the backend connection closed", () -> HTTP_V2.openProxied.get() == 0);
        }
        List<Header> headers = proxied(HTTP_V2);
        assertEquals(List.of("198.51.100.1", "198.51.100.2", "198.51.100.1"),
                headers.subList(before, headers.size()).stream().map(Header::source).toList());
    }

    @Test
    void v1CarriesTheSocketClient() throws Exception {
        InetAddress local = InetAddress.getByName("127.0.0.7");
        try (ProxyClient c = ProxyClient.connect(STAPLED.port("http1"), new byte[0], local)) {
            c.handshake(STAPLED.root(), "one.test");
            assertEquals("v1 127.0.0.7", c.get("one.test", "/"));
            Header h = proxied(HTTP_V1).get(proxied(HTTP_V1).size() - 1);
            assertEquals("TCP4", h.protocol());
            assertEquals("127.0.0.7", h.source());
            assertEquals(c.raw.getLocalPort(), h.sourcePort());
            assertEquals("127.0.0.1", h.destination());
            assertNull(h.authority(), "v1 has no TLVs");
        }
    }

    @Test
    void healthChecksSendLocalOrUnknown() {
        Poll.until(Duration.ofSeconds(10), "a v2 LOCAL check", () -> HTTP_V2.headers.stream()
                .anyMatch(h -> h.command().equals("LOCAL")));
        Poll.until(Duration.ofSeconds(10), "a v1 UNKNOWN check", () -> HTTP_V1.headers.stream()
                .anyMatch(h -> h.protocol().equals("UNKNOWN")));
        assertTrue(STAPLED.server().backends().get("to_v2").servers().get(0).isHealthy());
    }

    @Test
    void tcpModeV2WithSniAndV1BehindAcceptProxy() throws Exception {
        try (SSLSocket s = tls(STAPLED.port("tcp2"), "tcp.test", InetAddress.getByName("127.0.0.9"))) {
            assertEquals("ping", echo(s, "ping"));
            Header h = ECHO_V2.headers.get(ECHO_V2.headers.size() - 1);
            assertEquals("127.0.0.9", h.source());
            assertEquals(s.getLocalPort(), h.sourcePort());
            assertEquals("tcp.test", h.authority());
            assertTrue(h.clientSsl());
            assertTrue(h.sslVersion().startsWith("TLSv1."), h.sslVersion());
        }
        try (ProxyClient c = ProxyClient.connect(STAPLED.port("tcp1"),
                ProxyClient.v2("2001:db8::5", 7000))) {
            c.handshake(STAPLED.root(), "tcp1.test");
            assertEquals("pong", echo(c.tls, "pong"));
            Header h = ECHO_V1.headers.get(ECHO_V1.headers.size() - 1);
            assertEquals("TCP6", h.protocol());
            assertEquals("2001:db8:0:0:0:0:0:5", expand(h.source()));
            assertEquals(7000, h.sourcePort());
        }
    }

    @Test
    void addServerWithSendProxyV2() throws Exception {
        assertEquals("New server registered.\n\n",
                cli("add server dyn/new 127.0.0.1:" + ADDED.port() + " send-proxy-v2 enabled"));
        cli("disable server dyn/old");
        try (SSLSocket s = tls(STAPLED.port("dyn"), "dyn.test", InetAddress.getByName("127.0.0.11"))) {
            s.getOutputStream().write("GET / HTTP/1.1\r\nHost: dyn.test\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            s.getOutputStream().flush();
            Poll.until(Duration.ofSeconds(5), "the added server's request", () -> ADDED.requests.get() == 1);
        }
        Header h = proxied(ADDED).get(0);
        assertEquals("127.0.0.11", h.source());
        assertEquals("dyn.test", h.authority());
    }

    /** One runtime-API command over the unix socket, in HAProxy's non-interactive mode. */
    private static String cli(String command) throws Exception {
        try (java.nio.channels.SocketChannel ch = java.nio.channels.SocketChannel.open(java.net.StandardProtocolFamily.UNIX)) {
            ch.connect(java.net.UnixDomainSocketAddress.of(STAPLED.runtimeApi().socket()));
            ch.write(java.nio.ByteBuffer.wrap((command + "\n").getBytes(StandardCharsets.US_ASCII)));
            return new String(java.nio.channels.Channels.newInputStream(ch).readAllBytes(), StandardCharsets.US_ASCII);
        }
    }

    private static String expand(String v6) {
        return io.netty.util.NetUtil.createInetAddressFromIpAddressString(v6).getHostAddress();
    }

    private static SSLSocket tls(int port, String sni, InetAddress local) throws Exception {
        SSLContext ctx = TrustingSslContext.trusting(STAPLED.root());
        SSLSocket s = (SSLSocket) ctx.getSocketFactory().createSocket("127.0.0.1", port, local, 0);
        s.setSoTimeout(10_000);
        SSLParameters p = s.getSSLParameters();
        p.setServerNames(List.of(new javax.net.ssl.SNIHostName(sni)));
        s.setSSLParameters(p);
        s.startHandshake();
        return s;
    }

    private static String echo(SSLSocket s, String text) throws Exception {
        OutputStream out = s.getOutputStream();
        out.write(text.getBytes(StandardCharsets.US_ASCII));
        out.flush();
        InputStream in = s.getInputStream();
        return new String(in.readNBytes(text.length()), StandardCharsets.US_ASCII);
    }
}
