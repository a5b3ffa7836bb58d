package io.stapled.proxy.proxyprotocol;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import javax.net.ssl.SSLSession;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.haproxy.HAProxyCommand;
import io.netty.handler.codec.haproxy.HAProxyMessage;
import io.netty.handler.codec.haproxy.HAProxyMessageEncoder;
import io.netty.handler.codec.haproxy.HAProxyProtocolVersion;
import io.netty.handler.codec.haproxy.HAProxyProxiedProtocol;
import io.netty.handler.codec.haproxy.HAProxySSLTLV;
import io.netty.handler.codec.haproxy.HAProxyTLV;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.NetUtil;
import io.stapled.config.BackendConfig.SendProxy;
import io.stapled.tls.ClientCertificate;
import io.stapled.tls.TlsAttributes;
import io.stapled.tls.TlsSelection;

/**
 * The PROXY protocol header stapled writes first on a connection to a server with {@code send_proxy}
 * (HAProxy's {@code send-proxy} / {@code send-proxy-v2}): the client's address and the address it
 * connected to, from {@link ClientAddress}, so a chain of proxies passes the real client on. Version 2
 * also carries what HAProxy's {@code proxy-v2-options ssl,authority,alpn} add: {@code PP2_TYPE_SSL}
 * (the client-on-TLS and client-certificate bits, the verify field and the TLS version and cipher), the SNI as
 * {@code PP2_TYPE_AUTHORITY} and the negotiated ALPN protocol.
 */
public final class ProxyHeaders {
    /** PP2_CLIENT_SSL: the client connected over TLS. */
    private static final byte CLIENT_SSL = 0x01;
    /** PP2_CLIENT_CERT_CONN: the client sent a certificate on this connection. */
    private static final byte CLIENT_CERT_CONN = 0x02;
    /** PP2_CLIENT_CERT_SESS: the TLS session (perhaps resumed) holds a client certificate. */
    private static final byte CLIENT_CERT_SESS = 0x04;
    /**
     * The verify field is 0 only when the client presented a certificate that was verified, as in
     * HAProxy; any other value means "not verified" (none sent, or one that failed under optional).
     */
    private static final int NOT_VERIFIED = 1;
    private static final int VERIFIED = 0;
    private static final byte SUBTYPE_SSL_CIPHER = 0x23;
    private static final String ENCODER_NAME = "proxy-protocol-encoder";
    private static final byte[] V1_UNKNOWN = "PROXY UNKNOWN\r\n".getBytes(StandardCharsets.US_ASCII);

    private ProxyHeaders() {
    }

    /**
     * The header for a connection made on behalf of {@code client}. The caller owns the message (it
     * is reference counted; {@link #write} releases it).
     */
    public static HAProxyMessage forClient(SendProxy version, Channel client) {
        InetSocketAddress source = ClientAddress.source(client);
        InetSocketAddress destination = ClientAddress.destination(client);
        HAProxyProtocolVersion v = version == SendProxy.V1 ? HAProxyProtocolVersion.V1 : HAProxyProtocolVersion.V2;
        if (source == null || destination == null) {
            return unknown(version);
        }
        InetAddress src = source.getAddress();
        InetAddress dst = destination.getAddress();
        HAProxyProxiedProtocol protocol;
        String srcText;
        String dstText;
        if (src instanceof Inet4Address && dst instanceof Inet4Address) {
            protocol = HAProxyProxiedProtocol.TCP4;
            srcText = src.getHostAddress();
            dstText = dst.getHostAddress();
        } else {
            // One family per header: an IPv4 end is written IPv4-mapped, as HAProxy does.
            protocol = HAProxyProxiedProtocol.TCP6;
            srcText = ipv6Text(src);
            dstText = ipv6Text(dst);
        }
        List<HAProxyTLV> tlvs = version == SendProxy.V2 ? tlsTlvs(client) : List.of();
        return new HAProxyMessage(v, HAProxyCommand.PROXY, protocol, srcText, dstText, source.getPort(),
                destination.getPort(), tlvs);
    }

    /**
     * The header of a connection stapled makes for itself (a health check): v2 LOCAL, v1 UNKNOWN, which
     * tell the server to use the connection's own addresses, as HAProxy's checks do.
     */
    public static HAProxyMessage local(SendProxy version) {
        if (version == SendProxy.V1) {
            return unknown(version);
        }
        return new HAProxyMessage(HAProxyProtocolVersion.V2, HAProxyCommand.LOCAL, HAProxyProxiedProtocol.UNKNOWN,
                null, null, 0, 0);
    }

    private static HAProxyMessage unknown(SendProxy version) {
        HAProxyProtocolVersion v = version == SendProxy.V1 ? HAProxyProtocolVersion.V1 : HAProxyProtocolVersion.V2;
        return new HAProxyMessage(v, HAProxyCommand.PROXY, HAProxyProxiedProtocol.UNKNOWN, null, null, 0, 0);
    }

    /**
     * Writes {@code header} as the connection's first bytes (before anything else written on it), and
     * flushes it with whatever is written next. The bytes go straight to the socket, past every handler
     * (HTTP codecs, a TLS handler to the server, which the header must precede). Call on the channel's
     * event loop, before the first write — a connect listener runs before {@code channelActive}, so
     * before a client-mode TLS handler writes its ClientHello.
     */
    public static void write(Channel channel, HAProxyMessage header) {
        ChannelPipeline pipeline = channel.pipeline();
        if (header.protocolVersion() == HAProxyProtocolVersion.V1
                && header.proxiedProtocol() == HAProxyProxiedProtocol.UNKNOWN) {
            // Netty's encoder cannot write v1's address-less form.
            header.release();
            writeAtHead(channel, Unpooled.wrappedBuffer(V1_UNKNOWN));
            return;
        }
        // The encoder, first in the pipeline for the time of this write, runs synchronously on this thread.
        pipeline.addFirst(ENCODER_NAME, HAProxyMessageEncoder.INSTANCE);
        try {
            HAProxyMessageEncoder.INSTANCE.write(pipeline.context(ENCODER_NAME), header, channel.voidPromise());
        } catch (Exception e) {
            channel.pipeline().fireExceptionCaught(e);
        } finally {
            pipeline.remove(ENCODER_NAME);
        }
    }

    private static void writeAtHead(Channel channel, ByteBuf bytes) {
        ChannelHandlerContext first = channel.pipeline().firstContext();
        if (first == null) {
            channel.write(bytes, channel.voidPromise());
        } else {
            // A context writes to the handlers before it: from the first one, to the socket.
            first.write(bytes, channel.voidPromise());
        }
    }

    private static List<HAProxyTLV> tlsTlvs(Channel client) {
        SslHandler ssl = client.pipeline().get(SslHandler.class);
        if (ssl == null) {
            return List.of();
        }
        List<HAProxyTLV> tlvs = new ArrayList<>(3);
        TlsSelection selection = client.attr(TlsAttributes.SELECTION).get();
        if (selection != null && selection.serverName() != null) {
            tlvs.add(tlv(HAProxyTLV.Type.PP2_TYPE_AUTHORITY, selection.serverName()));
        }
        String alpn = ssl.applicationProtocol();
        if (alpn != null) {
            tlvs.add(tlv(HAProxyTLV.Type.PP2_TYPE_ALPN, alpn));
        }
        List<HAProxyTLV> sub = new ArrayList<>(2);
        SSLSession session = ssl.engine().getSession();
        if (session != null && session.getProtocol() != null && !"NONE".equals(session.getProtocol())) {
            sub.add(tlv(HAProxyTLV.Type.PP2_TYPE_SSL_VERSION, session.getProtocol()));
        }
        if (session != null && session.getCipherSuite() != null && !"SSL_NULL_WITH_NULL_NULL".equals(session.getCipherSuite())) {
            sub.add(new HAProxyTLV(SUBTYPE_SSL_CIPHER, Unpooled.copiedBuffer(session.getCipherSuite(), StandardCharsets.US_ASCII)));
        }
        // As HAProxy: CERT_SESS whenever the session holds a certificate, CERT_CONN when it was sent (and
        // checked) in this connection's own handshake rather than carried over by resumption.
        ClientCertificate cert = client.hasAttr(TlsAttributes.CLIENT_CERTIFICATE)
                ? client.attr(TlsAttributes.CLIENT_CERTIFICATE).get() : null;
        byte bits = CLIENT_SSL;
        int verify = NOT_VERIFIED;
        if (cert != null) {
            bits |= CLIENT_CERT_SESS;
            if (!cert.resumed()) {
                bits |= CLIENT_CERT_CONN;
            }
            verify = cert.verified() ? VERIFIED : NOT_VERIFIED;
        }
        tlvs.add(new HAProxySSLTLV(verify, bits, sub));
        return tlvs;
    }

    private static HAProxyTLV tlv(HAProxyTLV.Type type, String value) {
        return new HAProxyTLV(type, Unpooled.copiedBuffer(value, StandardCharsets.US_ASCII));
    }

    private static String ipv6Text(InetAddress address) {
        if (address instanceof Inet4Address) {
            return "::ffff:" + address.getHostAddress();
        }
        return NetUtil.toAddressString(address);
    }
}
