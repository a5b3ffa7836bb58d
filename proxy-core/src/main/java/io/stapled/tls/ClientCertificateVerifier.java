package io.stapled.tls;

import static io.stapled.text.OneLine.oneLine;

import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.GeneralSecurityException;
import java.security.cert.CRL;
import java.security.cert.CertPath;
import java.security.cert.CertPathValidator;
import java.security.cert.CertStore;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.CollectionCertStoreParameters;
import java.security.cert.PKIXParameters;
import java.security.cert.PKIXRevocationChecker;
import java.security.cert.TrustAnchor;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLSession;
import javax.net.ssl.X509ExtendedTrustManager;

import io.stapled.config.ClientAuthConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Verifies client certificates for the contexts of one {@link ClientAuthConfig}: the chain against the
 * {@code ca_file}'s CAs (PKIX; the file's self-signed CAs are the anchors, its other CAs links a path may
 * use), the leaf's extended key usage (clientAuth), and with a {@code crl_file} every certificate of the
 * path but the anchor against its issuer's CRL, as HAProxy's {@code crl-file} (OpenSSL's
 * {@code X509_V_FLAG_CRL_CHECK_ALL}): a certificate whose issuer has no CRL in the file does not verify.
 *
 * <p>The handshake calls it on the event loop; it does no I/O there. The CRLs are an immutable snapshot
 * behind a volatile reference: a poll off the event loop looks at the file's modification time and size
 * every {@code crl_reload_interval} and, when they changed, parses it and publishes a new snapshot (a
 * file that does not parse keeps the last good one, with a WARN line).
 *
 * <p>With {@code ocsp: soft|hard} a certificate that passed all that is also checked by
 * {@link ClientOcspChecker}, which never waits for the network on the handshake.
 *
 * <p>With {@code required} a certificate that does not verify fails the handshake (the client gets a
 * TLS alert); with {@code optional} the handshake goes on and the result is recorded in the handshake
 * session under {@link #RESULT}, for {@link ClientCertificate#of}.
 */
final class ClientCertificateVerifier extends X509ExtendedTrustManager implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ClientCertificateVerifier.class);
    /** Session value: {@link #VERIFIED}, or why the certificate did not verify. */
    static final String RESULT = "stapled.client-certificate.result";
    static final String VERIFIED = "verified";
    private static final String CLIENT_AUTH = "1.3.6.1.5.5.7.3.2";
    private static final String ANY_EKU = "2.5.29.37.0";
    private static final ThreadLocal<CertificateFactory> FACTORY = ThreadLocal.withInitial(() -> {
        try {
            return CertificateFactory.getInstance("X.509");
        } catch (CertificateException e) {
            throw new IllegalStateException(e);
        }
    });
    private static final ThreadLocal<CertPathValidator> VALIDATOR = ThreadLocal.withInitial(() -> {
        try {
            return CertPathValidator.getInstance("PKIX");
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    });

    /** The CRLs in force and the file state they were read from. */
    private record Crls(CertStore store, int count, long modified, long size) { }

    private final ClientAuthConfig config;
    private final X509Certificate[] issuers;
    private final Set<TrustAnchor> anchors;
    private final X509Certificate[] roots;
    private final X509Certificate[] intermediates;
    private static final int MAX_PATH = 10;
    private volatile Crls crls;
    /** The file state last looked at, so a file that does not parse is reported once. */
    private long seenModified;
    private long seenSize;
    private ScheduledFuture<?> watch;
    /** With {@code ocsp: soft|hard}; null when off. */
    private final ClientOcspChecker ocsp;

    private ClientCertificateVerifier(ClientAuthConfig config, List<X509Certificate> cas, Crls crls) {
        this.config = config;
        this.issuers = cas.toArray(X509Certificate[]::new);
        // As OpenSSL: the self-signed CAs of the file are the trust anchors, its other CAs links a path
        // may go through (and whose revocation is then checked); a file of intermediates only trusts them.
        List<X509Certificate> roots = cas.stream().filter(ClientCertificateVerifier::selfSigned).toList();
        List<X509Certificate> trusted = roots.isEmpty() ? cas : roots;
        Set<TrustAnchor> a = new HashSet<>();
        for (X509Certificate ca : trusted) {
            a.add(new TrustAnchor(ca, null));
        }
        this.anchors = Set.copyOf(a);
        this.roots = trusted.toArray(X509Certificate[]::new);
        this.intermediates = cas.stream().filter(c -> !trusted.contains(c)).toArray(X509Certificate[]::new);
        this.crls = crls;
        this.ocsp = config.ocsp() == ClientAuthConfig.OcspMode.OFF ? null : new ClientOcspChecker(config.ocsp());
        if (crls != null) {
            seenModified = crls.modified;
            seenSize = crls.size;
        }
    }

    /**
     * Reads the CA and CRL files and, with a CRL file, starts watching it on {@code scheduler}.
     *
     * @throws TlsSetupException naming the file that cannot be read
     */
    static ClientCertificateVerifier load(ClientAuthConfig config, ScheduledExecutorService scheduler) {
        List<X509Certificate> cas = readCertificates(config.caFile());
        ClientCertificateVerifier v = new ClientCertificateVerifier(config, cas,
                config.crlFile() == null ? null : readCrls(config.crlFile()));
        if (config.crlFile() != null) {
            long every = Math.max(1, config.crlReloadInterval().toMillis());
            v.watch = scheduler.scheduleWithFixedDelay(v::reloadIfChanged, every, every, TimeUnit.MILLISECONDS);
        }
        return v;
    }

    ClientAuthConfig config() {
        return config;
    }

    private static List<X509Certificate> readCertificates(Path file) {
        try (InputStream in = Files.newInputStream(file)) {
            List<X509Certificate> out = new ArrayList<>();
            for (java.security.cert.Certificate c : FACTORY.get().generateCertificates(in)) {
                out.add((X509Certificate) c);
            }
            if (out.isEmpty()) {
                throw new TlsSetupException(file + ": ca_file holds no certificate");
            }
            return out;
        } catch (IOException | CertificateException e) {
            throw new TlsSetupException(file + ": cannot read the client CA file: " + oneLine(e), e);
        }
    }

    private static Crls readCrls(Path file) {
        try {
            BasicFileAttributes attrs = Files.readAttributes(file, BasicFileAttributes.class);
            Collection<? extends CRL> read;
            try (InputStream in = Files.newInputStream(file)) {
                read = FACTORY.get().generateCRLs(in);
            }
            if (read.isEmpty()) {
                throw new TlsSetupException(file + ": crl_file holds no CRL");
            }
            CertStore store = CertStore.getInstance("Collection", new CollectionCertStoreParameters(List.copyOf(read)));
            return new Crls(store, read.size(), attrs.lastModifiedTime().toMillis(), attrs.size());
        } catch (IOException | GeneralSecurityException e) {
            throw new TlsSetupException(file + ": cannot read the CRL file: " + oneLine(e), e);
        }
    }

    /** On the watch thread: re-reads the CRL file when its modification time or size changed. */
    void reloadIfChanged() {
        Path file = config.crlFile();
        try {
            BasicFileAttributes attrs = Files.readAttributes(file, BasicFileAttributes.class);
            long modified = attrs.lastModifiedTime().toMillis();
            if (modified == seenModified && attrs.size() == seenSize) {
                return;
            }
            seenModified = modified;
            seenSize = attrs.size();
            Crls next = readCrls(file);
            crls = next;
            log.info("client CRL file {} reloaded: {} CRLs", file, next.count);
        } catch (IOException | RuntimeException e) {
            log.warn("client CRL file {} cannot be reloaded, the previous CRLs stay in force: {}", file, oneLine(e));
        }
    }

    /** Null when {@code chain} verifies now, else why not (one line). CPU only: no I/O. */
    String verify(X509Certificate[] chain) {
        if (chain == null || chain.length == 0) {
            return "no client certificate";
        }
        X509Certificate leaf = chain[0];
        try {
            List<String> eku = leaf.getExtendedKeyUsage();
            if (eku != null && !eku.contains(CLIENT_AUTH) && !eku.contains(ANY_EKU)) {
                return "certificate is not for TLS clients (no clientAuth extended key usage)";
            }
        } catch (java.security.cert.CertificateParsingException e) {
            return "unreadable extended key usage: " + oneLine(e);
        }
        if (isRoot(leaf)) {
            return null; // the leaf itself is one of the trusted certificates
        }
        List<X509Certificate> path = path(chain);
        try {
            CertPath certPath = FACTORY.get().generateCertPath(path);
            PKIXParameters params = new PKIXParameters(anchors);
            Crls now = crls;
            CertPathValidator validator = VALIDATOR.get();
            if (now == null) {
                params.setRevocationEnabled(false);
            } else {
                PKIXRevocationChecker rc = (PKIXRevocationChecker) validator.getRevocationChecker();
                // Every certificate of the path but the anchor, as HAProxy's crl-file (OpenSSL's CRL_CHECK_ALL).
                rc.setOptions(EnumSet.of(PKIXRevocationChecker.Option.PREFER_CRLS,
                        PKIXRevocationChecker.Option.NO_FALLBACK));
                params.addCertPathChecker(rc);
                params.addCertStore(now.store);
            }
            validator.validate(certPath, params);
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            return oneLine(e);
        }
        return ocsp == null ? null : ocsp.check(leaf, issuerOf(leaf, path));
    }

    /** The certificate that signed {@code leaf}: the next one of its validated path, else the trusted CA. */
    private X509Certificate issuerOf(X509Certificate leaf, List<X509Certificate> path) {
        if (path.size() > 1) {
            return path.get(1);
        }
        X509Certificate ca = issuedBy(leaf, roots);
        if (ca == null) {
            throw new IllegalStateException("validated certificate without an issuer among the CAs");
        }
        return ca;
    }

    /**
     * The path from the leaf up to (not including) a trust anchor: each next certificate is the one
     * that signed the last, from what the client sent or the CA file's intermediates. Where no issuer is
     * found the path ends, and the validator says why it does not reach an anchor.
     */
    private List<X509Certificate> path(X509Certificate[] chain) {
        List<X509Certificate> path = new ArrayList<>();
        X509Certificate current = chain[0];
        path.add(current);
        while (path.size() < MAX_PATH && issuedBy(current, roots) == null) {
            X509Certificate next = issuedBy(current, Arrays.copyOfRange(chain, 1, chain.length));
            if (next == null) {
                next = issuedBy(current, intermediates);
            }
            if (next == null || path.contains(next) || isRoot(next)) {
                break;
            }
            path.add(next);
            current = next;
        }
        return path;
    }

    /** The one of {@code candidates} that signed {@code c}, or null. */
    private static X509Certificate issuedBy(X509Certificate c, X509Certificate[] candidates) {
        for (X509Certificate ca : candidates) {
            if (ca.getSubjectX500Principal().equals(c.getIssuerX500Principal())) {
                try {
                    c.verify(ca.getPublicKey());
                    return ca;
                } catch (GeneralSecurityException notThisOne) {
                    // another CA of the same name
                }
            }
        }
        return null;
    }

    private boolean isRoot(X509Certificate c) {
        for (X509Certificate ca : roots) {
            if (ca.equals(c)) {
                return true;
            }
        }
        return false;
    }

    private static boolean selfSigned(X509Certificate c) {
        if (!c.getSubjectX500Principal().equals(c.getIssuerX500Principal())) {
            return false;
        }
        try {
            c.verify(c.getPublicKey());
            return true;
        } catch (GeneralSecurityException e) {
            return false;
        }
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
            throws CertificateException {
        String failure = verify(chain);
        SSLSession session = engine == null ? null : engine.getHandshakeSession();
        if (session != null) {
            session.putValue(RESULT, failure == null ? VERIFIED : failure);
        }
        if (failure != null && config.mode() == ClientAuthConfig.Mode.REQUIRED) {
            log.debug("client certificate {} refused: {}", chain.length == 0 ? "(none)"
                    : chain[0].getSubjectX500Principal().getName(), failure);
            throw new CertificateException(failure);
        }
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        checkClientTrusted(chain, authType, (SSLEngine) null);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket)
            throws CertificateException {
        checkClientTrusted(chain, authType, (SSLEngine) null);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        throw new CertificateException("not a client");
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket)
            throws CertificateException {
        throw new CertificateException("not a client");
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
            throws CertificateException {
        throw new CertificateException("not a client");
    }

    /** The CAs named in the CertificateRequest: those of the ca_file. */
    @Override
    public X509Certificate[] getAcceptedIssuers() {
        return Arrays.copyOf(issuers, issuers.length);
    }

    @Override
    public synchronized void close() {
        if (ocsp != null) {
            ocsp.close();
        }
        if (watch != null) {
            watch.cancel(false);
            watch = null;
        }
    }
}
