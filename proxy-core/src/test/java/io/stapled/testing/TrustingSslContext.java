package io.stapled.testing;

import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.X509Certificate;

import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/** JDK client TLS contexts for tests that trust exactly one run-time CA. */
public final class TrustingSslContext {
    private TrustingSslContext() { }

    /** A client context whose only trust anchor is {@code ca}. */
    public static SSLContext trusting(X509Certificate ca) throws GeneralSecurityException {
        try {
            KeyStore trust = KeyStore.getInstance("PKCS12");
            trust.load(null, null);
            trust.setCertificateEntry("ca", ca);
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(trust);
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(null, tmf.getTrustManagers(), null);
            return ctx;
        } catch (java.io.IOException e) {
            throw new GeneralSecurityException("cannot initialise an empty key store", e);
        }
    }
}
