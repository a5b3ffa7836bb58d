package io.stapled.tls;

import static io.stapled.text.OneLine.oneLine;

import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import javax.net.ssl.SSLException;
import javax.net.ssl.X509TrustManager;

import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.OpenSslContextOption;
import io.netty.handler.ssl.OpenSslServerSessionContext;
import io.netty.handler.ssl.OpenSslSessionContext;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import io.stapled.config.ClientAuthConfig;
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
     * For contexts that ask for no client certificate. Without a trust manager Netty loads the JDK's CA
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
    /** Expanded crt-list cipher strings by (ciphers, ciphersuites); contexts are built off the event loop. */
    private final Map<List<String>, List<String>> lineCiphers = new ConcurrentHashMap<>();
    /** One verifier per distinct client certificate setting; guarded by itself. */
    private final Map<ClientAuthConfig, ClientCertificateVerifier> verifiers = new java.util.HashMap<>();
    private java.util.concurrent.ScheduledExecutorService crlWatch;

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

    /**
     * A crt-list line's suites: its own strings where it has them, the frontend's otherwise. Expanded once
     * per distinct pair, so a thousand lines with the same {@code ciphers} cost one expansion.
     */
    private List<String> ciphersFor(TlsOverrides o) {
        String c = o.ciphers() != null ? o.ciphers() : tls.ciphers();
        String cs = o.ciphersuites() != null ? o.ciphersuites() : tls.ciphersuites();
        List<String> key = Arrays.asList(c, cs);
        List<String> suites = lineCiphers.get(key);
        if (suites == null) {
            suites = CipherList.forStrings(c, cs, isOpenSsl(), o.origin() + ": ciphers");
            lineCiphers.put(key, suites);
        }
        return suites;
    }

    /**
     * The context for this certificate and the verifier of the client certificates it asks for, which
     * contexts with the same client certificate settings share (one CRL watch for them all).
     */
    public ServingCertificate newServing(LoadedCertificate cert) {
        ClientCertificateVerifier verifier = verifierFor(cert.tls().clientAuth(tls.clientAuth()));
        return new ServingCertificate(cert, newContext(cert, verifier), verifier);
    }

    private ClientCertificateVerifier verifierFor(ClientAuthConfig clientAuth) {
        if (!clientAuth.enabled()) {
            return null;
        }
        synchronized (verifiers) {
            ClientCertificateVerifier v = verifiers.get(clientAuth);
            if (v == null) {
                if (crlWatch == null && clientAuth.crlFile() != null) {
                    crlWatch = java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
                        Thread t = new Thread(r, "stapled-crl-watch");
                        t.setDaemon(true);
                        return t;
                    });
                }
                v = ClientCertificateVerifier.load(clientAuth, crlWatch);
                verifiers.put(clientAuth, v);
            }
            return v;
        }
    }

    /** Stops the CRL watches; the contexts themselves are released by their owners. */
    public void close() {
        synchronized (verifiers) {
            verifiers.values().forEach(ClientCertificateVerifier::close);
            verifiers.clear();
            if (crlWatch != null) {
                crlWatch.shutdownNow();
                crlWatch = null;
            }
        }
    }

    /**
     * The session ID context of contexts that ask for client certificates, one per setting. The
     * frontend's contexts share ticket keys, and Netty gives them all one session ID context, so a
     * session made under a context that asks for no certificate would resume under one that requires
     * it (BoringSSL runs no verification on resumption) — tested: it does. BoringSSL resumes a session
     * only under the context it was made with, so one per client certificate setting keeps sessions
     * where their certificate was judged.
     */
    private static byte[] sessionIdContext(ClientAuthConfig c) {
        try {
            byte[] digest = java.security.MessageDigest.getInstance("SHA-256").digest(
                    (c.mode() + "|" + c.caFile() + "|" + c.crlFile() + "|" + c.ocsp())
                            .getBytes(java.nio.charset.StandardCharsets.UTF_8));
            return java.util.Arrays.copyOf(digest, 32); // SSL_MAX_SID_CTX_LENGTH
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A new server context for this certificate; the caller owns it (release it if reference-counted). */
    public SslContext newContext(LoadedCertificate cert) {
        return newContext(cert, verifierFor(cert.tls().clientAuth(tls.clientAuth())));
    }

    private SslContext newContext(LoadedCertificate cert, ClientCertificateVerifier verifier) {
        TlsOverrides o = cert.tls();
        List<String> alpn = o.noAlpn() ? List.of() : cert.alpn().isEmpty() ? tls.alpn() : cert.alpn();
        List<String> suites = o.overridesCiphers() ? ciphersFor(o) : ciphers;
        SslContextBuilder b = SslContextBuilder.forServer(cert.privateKey(), cert.chain())
                .sslProvider(provider)
                .keyStoreType(KEY_STORE_TYPE)
                .trustManager(verifier != null ? verifier : NO_CLIENT_CERTIFICATES)
                .clientAuth(verifier == null ? ClientAuth.NONE
                        : verifier.config().mode() == ClientAuthConfig.Mode.REQUIRED ? ClientAuth.REQUIRE
                        : ClientAuth.OPTIONAL)
                .protocols(o.protocols(tls.protocols()))
                .sessionCacheSize(tls.sessionCacheSize())
                .sessionTimeout(tls.sessionTimeout().toSeconds());
        if (suites != null) {
            b.ciphers(suites);
        }
        if (!o.curves().isEmpty()) {
            if (!isOpenSsl()) {
                throw new TlsSetupException(o.origin() + ": curves/ecdhe need BoringSSL; the JDK provider "
                        + "(global.tls_provider: jdk) cannot set groups per certificate");
            }
            b.option(OpenSslContextOption.GROUPS, o.curves().toArray(String[]::new));
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
            if (verifier != null && ctx.sessionContext() instanceof OpenSslServerSessionContext s
                    && !s.setSessionIdContext(sessionIdContext(verifier.config()))) {
                throw new TlsSetupException(cert.source() + ": cannot set the TLS session ID context");
            }
            return ctx;
        } catch (SSLException | RuntimeException e) {
            throw new TlsSetupException(cert.source() + ": cannot build a TLS context: " + oneLine(e), e);
        }
    }
}
