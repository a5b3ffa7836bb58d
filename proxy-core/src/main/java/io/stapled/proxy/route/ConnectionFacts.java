package io.stapled.proxy.route;

import javax.net.ssl.SSLSession;

import io.netty.channel.Channel;
import io.netty.handler.ssl.SslHandler;

import io.stapled.tls.ClientCertificate;
import io.stapled.tls.TlsAttributes;
import io.stapled.tls.TlsSelection;

/** The TLS facts of a client connection, read when a route asks for them. */
public final class ConnectionFacts {
    private ConnectionFacts() { }

    /** The server name from the ClientHello, or null (none sent, or no TLS). */
    public static String sni(Channel client) {
        TlsSelection selection = client.attr(TlsAttributes.SELECTION).get();
        return selection == null ? null : selection.serverName();
    }

    /** The negotiated protocol ({@code TLSv1.3}), or null without TLS or before the handshake. */
    public static String tlsVersion(Channel client) {
        SslHandler ssl = client.pipeline().get(SslHandler.class);
        if (ssl == null) {
            return null;
        }
        SSLSession session = ssl.engine().getSession();
        return session == null ? null : session.getProtocol();
    }

    /** The negotiated cipher suite, or null without TLS or before the handshake. */
    public static String tlsCipher(Channel client) {
        SslHandler ssl = client.pipeline().get(SslHandler.class);
        if (ssl == null) {
            return null;
        }
        SSLSession session = ssl.engine().getSession();
        return session == null ? null : session.getCipherSuite();
    }

    /**
     * The client certificate recorded when the handshake finished, or null (none sent or asked for, or
     * no TLS). Set before the connection's first request or relayed byte, so a route always sees it.
     */
    public static ClientCertificate clientCertificate(Channel client) {
        // hasAttr first: attr() of an absent key creates it, which a connection without a certificate
        // would pay on its first route test.
        return client.hasAttr(TlsAttributes.CLIENT_CERTIFICATE) ? client.attr(TlsAttributes.CLIENT_CERTIFICATE).get()
                : null;
    }
}
