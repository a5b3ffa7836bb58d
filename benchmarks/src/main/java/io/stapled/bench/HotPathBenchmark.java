package io.stapled.bench;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import javax.net.ssl.SSLEngine;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.handler.ssl.ReferenceCountedOpenSslEngine;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import io.netty.handler.ssl.util.InsecureTrustManagerFactory;
import io.netty.util.ReferenceCountUtil;
import io.stapled.config.CertificateSource;
import io.stapled.config.TlsConfig;
import io.stapled.ocsp.Staple;
import io.stapled.ocsp.StapleSlot;
import io.stapled.testkit.pki.IssuedCertificate;
import io.stapled.tls.CertificateSnapshot;
import io.stapled.tls.CertificateStore;
import io.stapled.tls.ClientHelloInfo;
import io.stapled.tls.ClientHelloParser;
import io.stapled.tls.KeyType;
import io.stapled.tls.LoadedCertificate;
import io.stapled.tls.ServerContextFactory;
import io.stapled.tls.ServingCertificate;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * stapled's work per connection before the first handshake byte is answered, step by step, with the
 * project's own classes as {@code CertificateSelectingHandler} calls them: parse the ClientHello
 * ({@link ClientHelloParser}), pick the certificate from the store's snapshot (exact name, wildcard,
 * default; ECDSA or RSA by what the client accepts), make the BoringSSL engine from that certificate's
 * context and set its staple when the client asked for one. With 10 or 10,000 certificates loaded.
 *
 * <p>The 10,000 certificates are distinct {@link LoadedCertificate}s with their own names and staple
 * slots; they share one server context per key type (contexts are per certificate in production, but a
 * context's size does not change the cost of making an engine from it, and 10,000 BoringSSL contexts
 * would take the benchmark minutes to build).
 */
@OutputTimeUnit(TimeUnit.SECONDS)
public class HotPathBenchmark extends ShortRun {

    /** A frontend's certificate store: half the certificates ECDSA, half RSA, one of each per name. */
    @State(Scope.Benchmark)
    public static class Certificates {
        @Param({"10", "10000"})
        public int certificates;

        BenchPki pki;
        CertificateStore store;
        SslContext ecdsaContext;
        SslContext rsaContext;
        String exactName;
        String wildcardName;

        @Setup(Level.Trial)
        public void setUp() {
            pki = BenchPki.create();
            ServerContextFactory factory = new ServerContextFactory(TlsConfig.defaults(), SslProvider.OPENSSL_REFCNT);
            ecdsaContext = factory.newContext(loaded(pki.ecdsaLeaf, KeyType.EC, "ecdsa.bench.test", pki.ecdsaStaple));
            rsaContext = factory.newContext(loaded(pki.rsaLeaf, KeyType.RSA, "rsa.bench.test", pki.rsaStaple));
            int names = Math.max(1, certificates / 2);
            List<ServingCertificate> all = new ArrayList<>(certificates);
            for (int i = 0; i < names; i++) {
                // every fifth name is a wildcard, as in a typical mixed fleet
                String name = i % 5 == 4 ? "*.w" + i + ".bench.test" : "h" + i + ".bench.test";
                all.add(new ServingCertificate(loaded(pki.ecdsaLeaf, KeyType.EC, name, pki.ecdsaStaple), ecdsaContext));
                all.add(new ServingCertificate(loaded(pki.rsaLeaf, KeyType.RSA, name, pki.rsaStaple), rsaContext));
            }
            store = new CertificateStore(CertificateSnapshot.builder().addAll(all).build());
            int middle = names / 2;
            exactName = "h" + (middle % 5 == 4 ? middle - 1 : middle) + ".bench.test";
            int lastWildcard = (names - 1) - ((names - 1) % 5 == 4 ? 0 : ((names - 1) % 5) + 1);
            wildcardName = "www.w" + lastWildcard + ".bench.test";
        }

        private static LoadedCertificate loaded(IssuedCertificate leaf, KeyType type, String name, byte[] staple) {
            StapleSlot slot = new StapleSlot();
            Instant now = Instant.now();
            slot.set(new Staple(staple, Staple.CertStatus.GOOD, now.minus(Duration.ofMinutes(1)),
                    now.plus(Duration.ofDays(7)), now, Staple.Origin.FILE, now));
            return new LoadedCertificate(Path.of(name + ".pem"), leaf.chain(), leaf.keyPair().getPrivate(), type,
                    List.of(name), List.of(), leaf.issuer().certificate(), CertificateSource.OcspOptions.DEFAULT,
                    List.of(), slot, false, null);
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            ReferenceCountUtil.release(ecdsaContext);
            ReferenceCountUtil.release(rsaContext);
        }
    }

    /**
     * One client's ClientHello: which name it asks for and whether it accepts ECDSA; captured with and
     * without status_request.
     */
    @State(Scope.Thread)
    public static class Hello {
        @Param({"exact", "wildcard", "default"})
        public String name;

        @Param({"ecdsa", "rsa"})
        public String client;

        ByteBuf withStatusRequest;
        ByteBuf withoutStatusRequest;

        @Setup(Level.Trial)
        public void setUp(Certificates certs) throws Exception {
            String serverName = switch (name) {
                case "exact" -> certs.exactName;
                case "wildcard" -> certs.wildcardName;
                default -> "unknown.example.org";
            };
            withStatusRequest = capture(serverName, true);
            withoutStatusRequest = capture(serverName, false);
            checkPick(certs, serverName, withStatusRequest, true);
            checkPick(certs, serverName, withoutStatusRequest, false);
        }

        ByteBuf hello(boolean statusRequest) {
            return statusRequest ? withStatusRequest : withoutStatusRequest;
        }

        private ByteBuf capture(String serverName, boolean statusRequest) throws Exception {
            SslContext clientContext = SslContextBuilder.forClient().sslProvider(SslProvider.OPENSSL_REFCNT)
                    .trustManager(InsecureTrustManagerFactory.INSTANCE).enableOcsp(statusRequest).build();
            byte[] body;
            try {
                body = ClientHellos.capture(clientContext, serverName);
            } finally {
                ReferenceCountUtil.release(clientContext);
            }
            if ("rsa".equals(client)) {
                body = ClientHellos.withoutEcdsa(body);
            }
            return Unpooled.unreleasableBuffer(Unpooled.wrappedBuffer(body));
        }

        /** Fails the trial if the hello does not lead where this case says it does. */
        private void checkPick(Certificates certs, String serverName, ByteBuf hello, boolean statusRequest) {
            ClientHelloInfo parsed = ClientHelloParser.parse(hello);
            if (parsed == null || parsed.statusRequest() != statusRequest
                    || parsed.acceptsEcdsa() != "ecdsa".equals(client)) {
                throw new IllegalStateException("unexpected ClientHello for " + name + "/" + client + ": " + parsed);
            }
            ServingCertificate chosen = certs.store.current().lookup(parsed.serverName()).choose(parsed.acceptsEcdsa());
            List<String> names = chosen.certificate().sniNames();
            boolean ok = switch (name) {
                case "exact" -> names.contains(serverName);
                case "wildcard" -> names.get(0).startsWith("*.") && serverName.endsWith(names.get(0).substring(1));
                default -> chosen.certificate() == certs.store.current().defaultPair()
                        .choose(parsed.acceptsEcdsa()).certificate();
            };
            KeyType expected = "ecdsa".equals(client) ? KeyType.EC : KeyType.RSA;
            if (!ok || chosen.keyType() != expected) {
                throw new IllegalStateException(name + "/" + client + " picked " + chosen.certificate());
            }
        }
    }

    /** The hello already parsed, so {@code pick} measures the lookup alone. */
    @State(Scope.Thread)
    public static class Parsed {
        ClientHelloInfo info;

        @Setup(Level.Trial)
        public void setUp(Hello h) {
            info = ClientHelloParser.parse(h.withStatusRequest);
        }
    }

    /** Whether the client asked for a staple (status_request); only the full hot path depends on it. */
    @State(Scope.Thread)
    public static class StapleRequest {
        @Param({"false", "true"})
        public boolean staple;
    }

    private static final ByteBufAllocator ALLOC = PooledByteBufAllocator.DEFAULT;

    @Benchmark
    public ClientHelloInfo parse(Hello h) {
        return ClientHelloParser.parse(h.withStatusRequest);
    }

    @Benchmark
    public ServingCertificate pick(Certificates c, Hello h, Parsed p) {
        ClientHelloInfo info = p.info;
        return c.store.current().lookup(info.serverName()).choose(info.acceptsEcdsa());
    }

    /** Parse, pick, handler and engine, staple: everything the selecting handler does, then the engine is freed. */
    @Benchmark
    public boolean hotPath(Certificates c, Hello h, StapleRequest r) {
        ClientHelloInfo info = ClientHelloParser.parse(h.hello(r.staple));
        ServingCertificate chosen = c.store.current().lookup(info.serverName()).choose(info.acceptsEcdsa());
        SSLEngine engine = chosen.sslContext().newHandler(ALLOC).engine(); // as the handler makes it
        try {
            boolean stapled = false;
            if (info.statusRequest() && engine instanceof ReferenceCountedOpenSslEngine openSsl) {
                byte[] der = chosen.certificate().stapleSlot().derIfValid(System.currentTimeMillis());
                if (der != null) {
                    openSsl.setOcspResponse(der);
                    stapled = true;
                }
            }
            return stapled;
        } finally {
            ReferenceCountUtil.release(engine);
        }
    }
}
