package io.stapled.testkit.responder;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

import org.bouncycastle.asn1.DERNull;
import org.bouncycastle.asn1.nist.NISTObjectIdentifiers;
import org.bouncycastle.asn1.ocsp.OCSPObjectIdentifiers;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.asn1.x509.CRLReason;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.Extensions;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateHolder;
import org.bouncycastle.cert.ocsp.BasicOCSPResp;
import org.bouncycastle.cert.ocsp.BasicOCSPRespBuilder;
import org.bouncycastle.cert.ocsp.CertificateID;
import org.bouncycastle.cert.ocsp.CertificateStatus;
import org.bouncycastle.cert.ocsp.OCSPException;
import org.bouncycastle.cert.ocsp.OCSPReq;
import org.bouncycastle.cert.ocsp.OCSPRespBuilder;
import org.bouncycastle.cert.ocsp.Req;
import org.bouncycastle.cert.ocsp.RespID;
import org.bouncycastle.cert.ocsp.RevokedStatus;
import org.bouncycastle.cert.ocsp.UnknownStatus;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.operator.jcajce.JcaDigestCalculatorProviderBuilder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import io.stapled.testkit.pki.CertificateBuilder;
import io.stapled.testkit.pki.IssuedCertificate;
import io.stapled.testkit.pki.KeyPairs;

/**
 * An OCSP responder in-process, on the JDK's HTTP server bound to 127.0.0.1 on an ephemeral port, for
 * the {@code stapled demo} and for tests. Answers GET (RFC 5019 base64 URL form) and POST for one
 * issuing CA; each serial (or the default) can be told to misbehave in a specific way, at runtime.
 *
 * <p>Why one class of ~460 lines: it is a test fixture whose surface is its point — the
 * {@link Behaviour}s, each a few lines in {@code respond}, the request counters tests assert on, and
 * its {@link Builder}. Split, a reader would look in three files to learn what one behaviour sends.
 */
public final class OcspResponderServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(OcspResponderServer.class);
    private static final int MAX_REQUEST = 64 * 1024;

    /** What the responder answers. */
    public enum Behaviour {
        /** A good, correctly signed response. */
        GOOD,
        /** Status revoked (keyCompromise), correctly signed. */
        REVOKED,
        /** Status unknown, correctly signed. */
        UNKNOWN,
        /** OCSPResponse status tryLater, no body. */
        TRY_LATER,
        /** HTTP 200 with bytes that are not an OCSP response. */
        MALFORMED,
        /** HTTP 500. */
        HTTP_500,
        /** Hangs for the configured hang time (longer than the client's read timeout), then answers GOOD. */
        TIMEOUT,
        /** A good response whose signature is made by an unrelated key. */
        FORGED,
        /** A good response for another serial (the requested one plus one). */
        WRONG_CERT,
        /** nextUpdate in the past. */
        EXPIRED,
        /** thisUpdate an hour in the future. */
        NOT_YET_VALID,
        /** No nextUpdate. */
        NO_NEXT_UPDATE,
        /** Signed by a delegated responder certificate with the OCSPSigning EKU, included in the response. */
        DELEGATED,
        /** Signed by a certificate from the issuer that lacks the OCSPSigning EKU. */
        DELEGATED_NO_EKU,
        /** A good response that echoes a different nonce than the request's (or one when none was sent). */
        WRONG_NONCE,
        /**
         * A good response for the requested certificate whose CertID uses the other hash: SHA-256 for a
         * SHA-1 request and the reverse, as a responder that ignores the request's hash would answer.
         */
        OTHER_HASH
    }

    private final IssuedCertificate issuer;
    private final IssuedCertificate delegated;
    private final IssuedCertificate delegatedNoEku;
    private final KeyPair forger;
    private final Clock clock;
    private final Duration hang;
    private final HttpServer server;
    private final ExecutorService executor;
    private final Map<BigInteger, Behaviour> perSerial = new ConcurrentHashMap<>();
    private final Map<BigInteger, AtomicInteger> perSerialCount = new ConcurrentHashMap<>();
    private final List<Instant> requestTimes = Collections.synchronizedList(new ArrayList<>());
    private final AtomicInteger requests = new AtomicInteger();
    private final AtomicInteger gets = new AtomicInteger();
    private final AtomicInteger posts = new AtomicInteger();
    private volatile Behaviour defaultBehaviour;
    private volatile Duration thisUpdateOffset;
    private volatile Duration nextUpdateOffset;

    private OcspResponderServer(Builder b) throws IOException {
        this.issuer = b.issuer;
        this.clock = b.clock;
        this.hang = b.hang;
        this.defaultBehaviour = b.defaultBehaviour;
        this.thisUpdateOffset = b.thisUpdateOffset;
        this.nextUpdateOffset = b.nextUpdateOffset;
        this.delegated = b.delegated != null ? b.delegated
                : CertificateBuilder.subject("CN=Delegated OCSP Responder").issuer(issuer).ocspSigning().build();
        this.delegatedNoEku = CertificateBuilder.subject("CN=OCSP Responder Without EKU").issuer(issuer)
                .noExtendedKeyUsage().build();
        this.forger = KeyPairs.ecP256();
        this.executor = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "ocsp-responder");
            t.setDaemon(true);
            return t;
        });
        this.server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 50);
        this.server.setExecutor(executor);
        this.server.createContext("/", this::handle);
        this.server.start();
    }

    /** A responder for certificates issued by {@code issuer}. */
    public static Builder builder(IssuedCertificate issuer) {
        return new Builder(issuer);
    }

    /** {@code http://127.0.0.1:<port>/}. */
    public String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/";
    }

    public URI uri() {
        return URI.create(url());
    }

    public int port() {
        return server.getAddress().getPort();
    }

    public IssuedCertificate issuer() {
        return issuer;
    }

    /** The delegated responder certificate used for {@link Behaviour#DELEGATED}. */
    public IssuedCertificate delegatedResponder() {
        return delegated;
    }

    public OcspResponderServer behaviour(BigInteger serial, Behaviour behaviour) {
        perSerial.put(serial, Objects.requireNonNull(behaviour));
        return this;
    }

    /** The behaviour for serials without their own; per-serial settings are kept. */
    public OcspResponderServer defaultBehaviour(Behaviour behaviour) {
        this.defaultBehaviour = Objects.requireNonNull(behaviour);
        return this;
    }

    /** Forgets every per-serial behaviour. */
    public OcspResponderServer clearBehaviours() {
        perSerial.clear();
        return this;
    }

    /** thisUpdate = now + {@code thisUpdateOffset}; nextUpdate = now + {@code nextUpdateOffset}. */
    public OcspResponderServer validity(Duration thisUpdateOffset, Duration nextUpdateOffset) {
        this.thisUpdateOffset = thisUpdateOffset;
        this.nextUpdateOffset = nextUpdateOffset;
        return this;
    }

    public int requestCount() {
        return requests.get();
    }

    public int requestCount(BigInteger serial) {
        AtomicInteger n = perSerialCount.get(serial);
        return n == null ? 0 : n.get();
    }

    public int getCount() {
        return gets.get();
    }

    public int postCount() {
        return posts.get();
    }

    /** When each request arrived, by the responder's clock. */
    public List<Instant> requestTimes() {
        synchronized (requestTimes) {
            return List.copyOf(requestTimes);
        }
    }

    /** Builds the response this responder would give for {@code serial} now, without HTTP. */
    public byte[] responseFor(BigInteger serial, Behaviour behaviour) {
        try {
            CertificateID id = new CertificateID(
                    new JcaDigestCalculatorProviderBuilder().build().get(CertificateID.HASH_SHA1),
                    new JcaX509CertificateHolder(issuer.certificate()), serial);
            return respond(id, behaviour, null);
        } catch (Exception e) {
            throw new IllegalStateException("cannot build response for serial " + serial, e);
        }
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }

    private void handle(HttpExchange ex) throws IOException {
        try (ex) {
            requests.incrementAndGet();
            requestTimes.add(clock.instant());
            byte[] der;
            if ("GET".equals(ex.getRequestMethod())) {
                gets.incrementAndGet();
                String path = ex.getRequestURI().getRawPath();
                String last = path.substring(path.lastIndexOf('/') + 1);
                try {
                    der = Base64.getDecoder().decode(URLDecoder.decode(last, StandardCharsets.US_ASCII));
                } catch (IllegalArgumentException e) {
                    send(ex, 400, new byte[0]);
                    return;
                }
            } else if ("POST".equals(ex.getRequestMethod())) {
                posts.incrementAndGet();
                try (InputStream in = ex.getRequestBody()) {
                    der = in.readNBytes(MAX_REQUEST);
                }
            } else {
                send(ex, 405, new byte[0]);
                return;
            }
            OCSPReq req;
            try {
                req = new OCSPReq(der);
            } catch (IOException | RuntimeException e) {
                send(ex, 200, malformedRequest());
                return;
            }
            Req[] list = req.getRequestList();
            if (list.length == 0) {
                send(ex, 200, malformedRequest());
                return;
            }
            CertificateID id = list[0].getCertID();
            perSerialCount.computeIfAbsent(id.getSerialNumber(), k -> new AtomicInteger()).incrementAndGet();
            Behaviour b = perSerial.getOrDefault(id.getSerialNumber(), defaultBehaviour);
            switch (b) {
                case HTTP_500:
                    send(ex, 500, "responder error".getBytes(StandardCharsets.US_ASCII));
                    return;
                case MALFORMED:
                    send(ex, 200, "this is not an OCSP response".getBytes(StandardCharsets.US_ASCII));
                    return;
                case TIMEOUT:
                    try {
                        Thread.sleep(hang.toMillis());
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        return;
                    }
                    b = Behaviour.GOOD;
                    break;
                default:
                    break;
            }
            Extension nonce = req.getExtension(OCSPObjectIdentifiers.id_pkix_ocsp_nonce);
            send(ex, 200, respond(id, b, nonce));
        } catch (IOException | RuntimeException e) {
            log.debug("OCSP responder exchange failed: {}", e.toString());
        }
    }

    private byte[] respond(CertificateID id, Behaviour b, Extension nonce) {
        try {
            if (b == Behaviour.TRY_LATER) {
                return new OCSPRespBuilder().build(OCSPRespBuilder.TRY_LATER, null).getEncoded();
            }
            Instant now = clock.instant();
            Instant thisUpdate = now.plus(thisUpdateOffset);
            Instant nextUpdate = now.plus(nextUpdateOffset);
            CertificateStatus status = CertificateStatus.GOOD;
            X509CertificateHolder issuerHolder = new JcaX509CertificateHolder(issuer.certificate());
            boolean ours = id.matchesIssuer(issuerHolder, new JcaDigestCalculatorProviderBuilder().build());
            switch (b) {
                case REVOKED:
                    status = new RevokedStatus(Date.from(now.minus(Duration.ofDays(1))), CRLReason.keyCompromise);
                    break;
                case UNKNOWN:
                    status = new UnknownStatus();
                    break;
                case WRONG_CERT:
                    id = CertificateID.deriveCertificateID(id, id.getSerialNumber().add(BigInteger.ONE));
                    break;
                case EXPIRED:
                    thisUpdate = now.minus(Duration.ofDays(2));
                    nextUpdate = now.minus(Duration.ofDays(1));
                    break;
                case NOT_YET_VALID:
                    thisUpdate = now.plus(Duration.ofHours(1));
                    nextUpdate = now.plus(Duration.ofDays(1));
                    break;
                case NO_NEXT_UPDATE:
                    nextUpdate = null;
                    break;
                case OTHER_HASH:
                    AlgorithmIdentifier other = id.getHashAlgOID().equals(CertificateID.HASH_SHA1.getAlgorithm())
                            ? new AlgorithmIdentifier(NISTObjectIdentifiers.id_sha256, DERNull.INSTANCE)
                            : CertificateID.HASH_SHA1;
                    id = new CertificateID(new JcaDigestCalculatorProviderBuilder().build().get(other), issuerHolder,
                            id.getSerialNumber());
                    break;
                default:
                    break;
            }
            if (!ours) {
                status = new UnknownStatus();
            }
            IssuedCertificate signerCert = b == Behaviour.DELEGATED ? delegated
                    : b == Behaviour.DELEGATED_NO_EKU ? delegatedNoEku : issuer;
            PrivateKey signingKey = b == Behaviour.FORGED ? forger.getPrivate() : signerCert.keyPair().getPrivate();
            BasicOCSPRespBuilder rb = new BasicOCSPRespBuilder(new RespID(
                    X500Name.getInstance(signerCert.certificate().getSubjectX500Principal().getEncoded())));
            rb.addResponse(id, status, Date.from(thisUpdate), nextUpdate == null ? null : Date.from(nextUpdate), null);
            if (b == Behaviour.WRONG_NONCE) {
                byte[] other = new org.bouncycastle.asn1.DEROctetString(new byte[] {0x77, 0x72, 0x6f, 0x6e, 0x67}).getEncoded();
                rb.setResponseExtensions(new Extensions(new Extension(OCSPObjectIdentifiers.id_pkix_ocsp_nonce, false, other)));
            } else if (nonce != null) {
                rb.setResponseExtensions(new Extensions(nonce));
            }
            X509CertificateHolder[] chain = signerCert == issuer ? null
                    : new X509CertificateHolder[] {new JcaX509CertificateHolder(signerCert.certificate())};
            BasicOCSPResp basic = rb.build(signer(signingKey), chain, Date.from(now));
            return new OCSPRespBuilder().build(OCSPRespBuilder.SUCCESSFUL, basic).getEncoded();
        } catch (OCSPException | OperatorCreationException | IOException
                 | java.security.cert.CertificateEncodingException e) {
            throw new IllegalStateException("cannot build OCSP response: " + e.getMessage(), e);
        }
    }

    private static byte[] malformedRequest() throws IOException {
        try {
            return new OCSPRespBuilder().build(OCSPRespBuilder.MALFORMED_REQUEST, null).getEncoded();
        } catch (OCSPException e) {
            throw new IOException(e);
        }
    }

    private static ContentSigner signer(PrivateKey key) throws OperatorCreationException {
        String alg = "RSA".equals(key.getAlgorithm()) ? "SHA256withRSA" : "SHA256withECDSA";
        return new JcaContentSignerBuilder(alg).build(key);
    }

    private static void send(HttpExchange ex, int code, byte[] body) throws IOException {
        ex.getResponseHeaders().set("Content-Type", "application/ocsp-response");
        ex.sendResponseHeaders(code, body.length == 0 ? -1 : body.length);
        if (body.length > 0) {
            try (OutputStream out = ex.getResponseBody()) {
                out.write(body);
            }
        }
    }

    /** Configures and starts an {@link OcspResponderServer}. */
    public static final class Builder {
        private final IssuedCertificate issuer;
        private Behaviour defaultBehaviour = Behaviour.GOOD;
        private Duration thisUpdateOffset = Duration.ofMinutes(-1);
        private Duration nextUpdateOffset = Duration.ofHours(1);
        private Duration hang = Duration.ofSeconds(3);
        private Clock clock = Clock.systemUTC();
        private IssuedCertificate delegated;

        private Builder(IssuedCertificate issuer) {
            this.issuer = Objects.requireNonNull(issuer, "issuer");
        }

        public Builder defaultBehaviour(Behaviour b) {
            this.defaultBehaviour = Objects.requireNonNull(b);
            return this;
        }

        /** thisUpdate = now + {@code thisUpdateOffset} (default -1 min); nextUpdate = now + {@code nextUpdateOffset} (default +1 h). */
        public Builder validity(Duration thisUpdateOffset, Duration nextUpdateOffset) {
            this.thisUpdateOffset = thisUpdateOffset;
            this.nextUpdateOffset = nextUpdateOffset;
            return this;
        }

        /** How long {@link Behaviour#TIMEOUT} hangs before answering (default 3 s). */
        public Builder hang(Duration hang) {
            this.hang = hang;
            return this;
        }

        /**
         * The certificate {@link Behaviour#DELEGATED} signs with (it must be issued by the issuer);
         * default: a fresh one with the OCSPSigning EKU. Pass an expired one to test that check.
         */
        public Builder delegatedResponder(IssuedCertificate delegated) {
            this.delegated = delegated;
            return this;
        }

        /** The clock response times are computed from. */
        public Builder clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock);
            return this;
        }

        public OcspResponderServer start() {
            try {
                return new OcspResponderServer(this);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot bind the OCSP responder on 127.0.0.1", e);
            }
        }
    }
}
