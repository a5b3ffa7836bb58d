package io.stapled.proxy.proxyprotocol;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.cert.X509Certificate;
import java.util.List;

import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;

import io.netty.buffer.ByteBuf;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.haproxy.HAProxyCommand;
import io.netty.handler.codec.haproxy.HAProxyMessage;
import io.netty.handler.codec.haproxy.HAProxyMessageEncoder;
import io.netty.handler.codec.haproxy.HAProxyProtocolVersion;
import io.netty.handler.codec.haproxy.HAProxyProxiedProtocol;
import io.stapled.testing.TrustingSslContext;

/**
 * What a load balancer does: a plain TCP connection that first writes a PROXY header (given as bytes,
 * by hand or from Netty's encoder), then TLS over the same socket, then HTTP/1.1.
 */
final class ProxyClient implements AutoCloseable {
    final Socket raw;
    SSLSocket tls;

    private ProxyClient(Socket raw) {
        this.raw = raw;
    }

    /** Connects from {@code local} (null: any) to 127.0.0.1:{@code port} and writes {@code header}. */
    static ProxyClient connect(int port, byte[] header, InetAddress local) throws IOException {
        Socket s = new Socket();
        if (local != null) {
            s.bind(new InetSocketAddress(local, 0));
        }
        s.connect(new InetSocketAddress("127.0.0.1", port), 5000);
        s.setSoTimeout(10_000);
        if (header.length > 0) {
            s.getOutputStream().write(header);
            s.getOutputStream().flush();
        }
        return new ProxyClient(s);
    }

    static ProxyClient connect(int port, byte[] header) throws IOException {
        return connect(port, header, null);
    }

    static byte[] v1(String line) {
        return (line + "\r\n").getBytes(StandardCharsets.US_ASCII);
    }

    /** A v2 PROXY header from {@code source}:{@code sourcePort} to 127.0.0.1:443 (IPv6 if source is). */
    static byte[] v2(String source, int sourcePort) {
        boolean v6 = source.contains(":");
        return encode(new HAProxyMessage(HAProxyProtocolVersion.V2, HAProxyCommand.PROXY,
                v6 ? HAProxyProxiedProtocol.TCP6 : HAProxyProxiedProtocol.TCP4, source, v6 ? "::1" : "127.0.0.1",
                sourcePort, 443));
    }

    /** A v2 LOCAL header, what a balancer's own health check sends. */
    static byte[] v2Local() {
        return encode(new HAProxyMessage(HAProxyProtocolVersion.V2, HAProxyCommand.LOCAL,
                HAProxyProxiedProtocol.UNKNOWN, null, null, 0, 0));
    }

    static byte[] encode(HAProxyMessage message) {
        EmbeddedChannel ch = new EmbeddedChannel(HAProxyMessageEncoder.INSTANCE);
        ch.writeOutbound(message);
        ByteBuf out = ch.readOutbound();
        byte[] bytes = new byte[out.readableBytes()];
        out.readBytes(bytes);
        out.release();
        ch.finishAndReleaseAll();
        return bytes;
    }

    /** TLS over the same socket, with SNI {@code sni}, trusting {@code root}. */
    ProxyClient handshake(X509Certificate root, String sni) throws Exception {
        SSLContext ctx = TrustingSslContext.trusting(root);
        tls = (SSLSocket) ctx.getSocketFactory().createSocket(raw, "127.0.0.1", raw.getPort(), true);
        SSLParameters p = tls.getSSLParameters();
        p.setServerNames(List.of(new SNIHostName(sni)));
        p.setApplicationProtocols(new String[] {"http/1.1"});
        tls.setSSLParameters(p);
        tls.startHandshake();
        return this;
    }

    /** GET {@code path} on the TLS connection (keep-alive) and the response body. */
    String get(String host, String path) throws IOException {
        tls.getOutputStream().write(("GET " + path + " HTTP/1.1\r\nHost: " + host + "\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII));
        tls.getOutputStream().flush();
        InputStream in = tls.getInputStream();
        String head = readHead(in);
        if (!head.startsWith("HTTP/1.1 200")) {
            throw new AssertionError("unexpected response: " + head);
        }
        int length = 0;
        for (String line : head.split("\r\n")) {
            if (line.toLowerCase().startsWith("content-length:")) {
                length = Integer.parseInt(line.substring(15).trim());
            }
        }
        return new String(in.readNBytes(length), StandardCharsets.US_ASCII);
    }

    private static String readHead(InputStream in) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int state = 0;
        int b;
        while (state < 4 && (b = in.read()) >= 0) {
            out.write(b);
            state = (b == '\r' && (state == 0 || state == 2)) || (b == '\n' && (state == 1 || state == 3)) ? state + 1
                    : b == '\r' ? 1 : 0;
        }
        return out.toString(StandardCharsets.US_ASCII);
    }

    /** True when the server closed the raw connection (EOF or reset) without sending a byte. */
    boolean closedByServer() {
        try {
            return raw.getInputStream().read() < 0;
        } catch (IOException reset) {
            return true;
        }
    }

    @Override
    public void close() throws IOException {
        if (tls != null) {
            tls.close();
        }
        raw.close();
    }
}
