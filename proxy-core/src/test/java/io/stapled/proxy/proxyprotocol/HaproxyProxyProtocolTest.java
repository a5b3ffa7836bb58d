package io.stapled.proxy.proxyprotocol;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.util.List;

import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import io.netty.channel.EventLoopGroup;
import io.stapled.net.Transport;
import io.stapled.testing.HaproxyProcess;
import io.stapled.testing.StapledServerExtension;
import io.stapled.testing.TrustingSslContext;

/**
 * The real HAProxy on both sides of stapled: as the load balancer in front ({@code send-proxy-v2} and
 * {@code send-proxy} to a frontend with {@code accept_proxy}), stapled sees the real client; as the
 * server behind ({@code bind ... accept-proxy}), HAProxy's {@code src} and {@code fc_pp_authority} are
 * the client and the SNI stapled's {@code send_proxy} v2 header gave it.
 */
@Timeout(60)
class HaproxyProxyProtocolTest {
    private static final EventLoopGroup GROUP = Transport.nio().newGroup(1, "haproxy-pp-backends");
    private static final RecordingBackend APP = RecordingBackend.http("app", GROUP, false);
    private static final int HAPROXY_SERVER_PORT = freePort();

    @RegisterExtension
    static final StapledServerExtension STAPLED = StapledServerExtension.fromYaml("""
            global: { workers: 1 }
            frontends:
              - name: behind_lb
                bind: 127.0.0.1:0
                backend: app
                accept_proxy: true
                certificates:
                  - crt: ${cert:lb.test}
              - name: to_haproxy
                bind: 127.0.0.1:0
                backend: haproxy
                certificates:
                  - crt: ${cert:hap.test}
            backends:
              - name: app
                servers:
                  - { name: app, address: 127.0.0.1:${port:app} }
              - name: haproxy
                servers:
                  - { name: h, address: 127.0.0.1:${port:haproxy}, send_proxy: v2 }
            """).port("app", APP::port).port("haproxy", () -> HAPROXY_SERVER_PORT);

    @AfterAll
    static void stopBackends() {
        APP.close();
        GROUP.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS);
    }

    private static int freePort() {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private HaproxyProcess haproxy(int lbV2, int lbV1) throws Exception {
        return HaproxyProcess.start(STAPLED.dir(), """
                global
                    stats socket ${socket} level admin
                defaults
                    timeout connect 5s
                    timeout client 10s
                    timeout server 10s
                frontend lb_v2
                    mode tcp
                    bind 127.0.0.1:%d
                    default_backend stapled_v2
                backend stapled_v2
                    mode tcp
                    server s 127.0.0.1:%d send-proxy-v2
                frontend lb_v1
                    mode tcp
                    bind 127.0.0.1:%d
                    default_backend stapled_v1
                backend stapled_v1
                    mode tcp
                    server s 127.0.0.1:%d send-proxy
                frontend pp_in
                    mode http
                    bind 127.0.0.1:%d accept-proxy
                    http-request return status 200 content-type text/plain lf-string "%%[src] %%[fc_pp_authority]"
                """.formatted(lbV2, STAPLED.port("behind_lb"), lbV1, STAPLED.port("behind_lb"), HAPROXY_SERVER_PORT));
    }

    @Test
    void haproxyInFrontAndBehind() throws Exception {
        int lbV2 = freePort();
        int lbV1 = freePort();
        try (HaproxyProcess ignored = haproxy(lbV2, lbV1)) {
            // HAProxy as the load balancer: the connection reaching stapled comes from HAProxy (127.0.0.1),
            // the client is 127.0.0.5 / 127.0.0.6.
            assertEquals("app 127.0.0.5", get(lbV2, "lb.test", "127.0.0.5"));
            assertEquals("app 127.0.0.6", get(lbV1, "lb.test", "127.0.0.6"));
            // HAProxy as the server: it reads stapled's v2 header.
            assertEquals("127.0.0.8 hap.test", get(STAPLED.port("to_haproxy"), "hap.test", "127.0.0.8"));
        }
    }

    private static String get(int port, String sni, String from) throws Exception {
        SSLContext ctx = TrustingSslContext.trusting(STAPLED.root());
        try (SSLSocket s = (SSLSocket) ctx.getSocketFactory().createSocket("127.0.0.1", port,
                InetAddress.getByName(from), 0)) {
            s.setSoTimeout(10_000);
            SSLParameters p = s.getSSLParameters();
            p.setServerNames(List.of(new SNIHostName(sni)));
            s.setSSLParameters(p);
            s.getOutputStream().write(("GET / HTTP/1.1\r\nHost: " + sni + "\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            s.getOutputStream().flush();
            String response = readAll(s.getInputStream());
            if (!response.startsWith("HTTP/1.1 200")) {
                throw new AssertionError("unexpected response: " + response);
            }
            return response.substring(response.indexOf("\r\n\r\n") + 4);
        }
    }

    private static String readAll(InputStream in) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            in.transferTo(out);
        } catch (javax.net.ssl.SSLException | java.net.SocketException closed) {
            // the server closed after the response (Connection: close)
        }
        return out.toString(StandardCharsets.US_ASCII);
    }
}
