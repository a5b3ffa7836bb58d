package io.stapled.tls;

import javax.net.ssl.SSLEngine;

import io.netty.handler.ssl.ReferenceCountedOpenSslEngine;
import io.netty.internal.tcnative.SSL;
import io.netty.util.AttributeKey;

/**
 * What {@link CertificateSelectingHandler} records on a client channel, for metrics, logs and tests.
 * Set before the handshake starts; absent on a connection closed before a ClientHello was read.
 */
public final class TlsAttributes {
    /** Name under which the {@link io.netty.handler.ssl.SslHandler} is put in the pipeline. */
    public static final String SSL_HANDLER_NAME = "ssl";

    /** The certificate chosen for this connection. */
    public static final AttributeKey<LoadedCertificate> CERTIFICATE = AttributeKey.valueOf("stapled.tls.certificate");

    /** The SNI name the client sent (normalized), absent when it sent none. */
    public static final AttributeKey<String> SERVER_NAME = AttributeKey.valueOf("stapled.tls.serverName");

    /** Whether the client sent status_request. */
    public static final AttributeKey<Boolean> STATUS_REQUESTED = AttributeKey.valueOf("stapled.tls.statusRequested");

    /** Whether a staple was set on the engine for this handshake. */
    public static final AttributeKey<Boolean> STAPLED = AttributeKey.valueOf("stapled.tls.stapled");

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
