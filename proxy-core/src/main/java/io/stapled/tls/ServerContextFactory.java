package io.stapled.tls;

import static io.stapled.text.OneLine.oneLine;

import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Set;

import javax.net.ssl.SSLException;
import javax.net.ssl.X509TrustManager;

import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.OpenSslSessionContext;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import io.stapled.config.TlsConfig;

/**
 * Builds one server {@link SslContext} per certificate from a frontend's {@link TlsConfig}. The cipher
 * list is expanded once per factory, not per certificate.
 */
public final class ServerContextFactory {
    private static final Set<String> PROTOCOLS = Set.of("TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3");
    /**
     * Netty's key store for the key and chain: JKS protects the key with one SHA-1 pass, where the
     * default PKCS12 runs 10,000 PBKDF2 rounds to store it and again to read it back (~75 ms of
     * start-up per certificate, for a store that lives a few microseconds).
     */
    private static final String KEY_STORE_TYPE = "JKS";
    /**
     * stapled never asks for client certificates. Without a trust manager Netty loads the JDK's CA
     * bundle for each context anyway; this one trusts nothing, should a certificate ever arrive.
     */
    private static final X509TrustManager NO_CLIENT_CERTIFICATES = new X509TrustManager() {
        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            throw new CertificateException("client certificates are not accepted");
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            throw new CertificateException("not a client");
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return new X509Certificate[0];
        }
    };

    private final TlsConfig tls;
    private final SslProvider provider;
    private final List<String> ciphers;

    public ServerContextFactory(TlsConfig tls, SslProvider provider) {
        this.tls = tls;
        this.provider = provider;
        for (String p : tls.protocols()) {
            if (!PROTOCOLS.contains(p)) {
                throw new TlsSetupException("tls.protocols: unknown protocol '" + p + "' (use " + PROTOCOLS + ")");
            }
        }
        if (tls.protocols().isEmpty()) {
            throw new TlsSetupException("tls.protocols: no protocol enabled");
        }
        this.ciphers = CipherList.forConfig(tls, isOpenSsl());
    }

    public boolean isOpenSsl() {
        return TlsProviders.isOpenSsl(provider);
    }

    public SslProvider provider() {
        return provider;
    }

    public TlsConfig tls() {
        return tls;
    }

    /** A new server context for this certificate; the caller owns it (release it if reference-counted). */
    public SslContext newContext(LoadedCertificate cert) {
        List<String> alpn = cert.alpn().isEmpty() ? tls.alpn() : cert.alpn();
        SslContextBuilder b = SslContextBuilder.forServer(cert.privateKey(), cert.chain())
                .sslProvider(provider)
                .keyStoreType(KEY_STORE_TYPE)
                .trustManager(NO_CLIENT_CERTIFICATES)
                .protocols(tls.protocols())
                .sessionCacheSize(tls.sessionCacheSize())
                .sessionTimeout(tls.sessionTimeout().toSeconds());
        if (ciphers != null) {
            b.ciphers(ciphers);
        }
        if (!alpn.isEmpty()) {
            // Like a lenient server: a client offering none of our protocols still gets a connection.
            b.applicationProtocolConfig(new ApplicationProtocolConfig(ApplicationProtocolConfig.Protocol.ALPN,
                    ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
                    ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT, alpn));
        }
        if (isOpenSsl()) {
            // Required for ReferenceCountedOpenSslEngine.setOcspResponse on the hot path.
            b.enableOcsp(true);
        }
        try {
            SslContext ctx = b.build();
            if (tls.sessionCacheSize() == 0 && ctx.sessionContext() instanceof OpenSslSessionContext s) {
                // 0 means no server-side cache, as in HAProxy; Netty would read it as "default size".
                s.setSessionCacheEnabled(false);
            }
            return ctx;
        } catch (SSLException | RuntimeException e) {
            throw new TlsSetupException(cert.source() + ": cannot build a TLS context: " + oneLine(e), e);
        }
    }
}
