package io.stapled.tls;

import javax.net.ssl.SSLEngine;

import io.netty.handler.ssl.ReferenceCountedOpenSslEngine;
import io.netty.internal.tcnative.SSL;
import io.netty.util.AttributeKey;

/**
 * The names {@link CertificateSelectingHandler} leaves on a client channel: its handler name and one
 * immutable attribute with what it selected.
 */
public final class TlsAttributes {
    /**
     * Name of the TLS handler in a client pipeline: first the {@link CertificateSelectingHandler}, then
     * the {@link io.netty.handler.ssl.SslHandler} that replaces it under the same name.
     */
    public static final String HANDLER_NAME = "tls";

    /** The selection made from the ClientHello; absent on a connection closed before one was read. */
    public static final AttributeKey<TlsSelection> SELECTION = AttributeKey.valueOf("stapled.tls.selection");

    /**
     * The client certificate of a connection to a frontend (or crt-list line) that asks for one, set
     * when the handshake has finished; absent when the client sent none or none was asked for.
     */
    public static final AttributeKey<ClientCertificate> CLIENT_CERTIFICATE =
            AttributeKey.valueOf("stapled.tls.client-certificate");

    private TlsAttributes() { }

    /**
     * Whether the completed handshake of this engine resumed a session (ticket or cache); false for
     * JDK engines, where this is not observable. Call it after the handshake, off the hot path.
     */
    public static boolean sessionReused(SSLEngine engine) {
        if (engine instanceof ReferenceCountedOpenSslEngine e) {
            synchronized (e) {
                long ssl = e.sslPointer();
                return ssl != 0 && SSL.isSessionReused(ssl);
            }
        }
        return false;
    }
}
