package io.stapled.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import io.netty.channel.EventLoopGroup;
import io.stapled.admin.RuntimeApiServer;
import io.stapled.config.ConfigLoader;
import io.stapled.config.StapledConfig;
import io.stapled.demo.DemoBackend;
import io.stapled.net.Transport;
import io.stapled.server.StapledServer;
import io.stapled.testkit.TlsTestClient;
import io.stapled.testkit.pki.CertificateBuilder;
import io.stapled.testkit.pki.IssuedCertificate;
import io.stapled.testkit.responder.OcspResponderServer;

/**
 * Starts the real {@link StapledServer} from a YAML snippet, the way Armeria's {@code ServerExtension} starts
 * a server: on a static field it runs once for the class, on an instance field once per test.
 *
 * <pre>{@code
 * @RegisterExtension
 * static final StapledServerExtension stapled = StapledServerExtension.fromYaml("""
 *         frontends:
 *           - name: https
 *             bind: 127.0.0.1:0
 *             mode: http
 *             backend: app
 *             certificates:
 *               - crt: ${cert:site.test}
 *         backends:
 *           - name: app
 *             servers:
 *               - { name: app1, address: 127.0.0.1:${backend} }
 *         runtime_api: { socket: ${socket}, level: admin }
 *         """);
 * }</pre>
 *
 * Placeholders, filled in before the YAML is parsed:
 * <ul>
 *   <li>{@code ${cert:NAME}}: the path of an HAProxy bundle for a fresh ECDSA leaf for DNS name {@code NAME},
 *       issued by this extension's own intermediate, with its AIA pointing at {@link #responder()};
 *       {@link #leaf(String)} returns it, {@link #certificateFile(String)} its file, and {@link #root()} is
 *       the root to trust. {@code ${cert:NAME:SERIAL}} gives it the serial number {@code SERIAL} (hex);</li>
 *   <li>{@code ${backend}}: the port of a plain HTTP backend ({@link DemoBackend}) the extension runs;</li>
 *   <li>{@code ${port:NAME}}: a port given with {@link #port(String, IntSupplier)}, read at start-up;</li>
 *   <li>{@code ${responder}}: the URL of {@link #responder()};</li>
 *   <li>{@code ${socket}}: a runtime-API socket path in {@link #dir()};</li>
 *   <li>{@code ${dir}}: a fresh directory, removed afterwards; relative paths in the YAML resolve against it.</li>
 * </ul>
 * Listeners bind where the YAML says, normally {@code 127.0.0.1:0}; {@link #port(String)} gives the bound port.
 */
public final class StapledServerExtension
        implements BeforeAllCallback, AfterAllCallback, BeforeEachCallback, AfterEachCallback {
    private static final Pattern PLACEHOLDER = Pattern.compile("\\$\\{([a-z]+)(?::([^}]+))?}");
    private static final AtomicLong SERIAL = new AtomicLong(0x5000);

    private final String yaml;
    private final Map<String, IntSupplier> ports = new LinkedHashMap<>();
    private Clock clock = Clock.systemUTC();
    private java.util.function.Consumer<StapledServerExtension> beforeServer = x -> { };

    private final IssuedCertificate root = CertificateBuilder.subject("CN=extension root").ca().build();
    private final IssuedCertificate intermediate = CertificateBuilder.subject("CN=extension intermediate")
            .issuer(root).ca().build();
    private final Map<String, IssuedCertificate> leaves = new LinkedHashMap<>();
    private final Map<String, Path> certificateFiles = new LinkedHashMap<>();

    private boolean perClass;
    private Path dir;
    private OcspResponderServer responder;
    private EventLoopGroup backendGroup;
    private DemoBackend backend;
    private StapledServer server;
    private TlsTestClient client;

    private StapledServerExtension(String yaml) {
        this.yaml = yaml;
    }

    public static StapledServerExtension fromYaml(String yaml) {
        return new StapledServerExtension(yaml);
    }

    /** Fills {@code ${port:name}} with {@code port}, read when the server starts (after earlier extensions). */
    public StapledServerExtension port(String name, IntSupplier port) {
        ports.put(name, port);
        return this;
    }

    /**
     * Runs {@code step} after the placeholders are filled (so {@code ${cert:...}} files and the responder
     * exist) and before the server starts: for files the server must find at start, such as a crt-list
     * or an {@code .ocsp} sibling.
     */
    public StapledServerExtension beforeServer(java.util.function.Consumer<StapledServerExtension> step) {
        this.beforeServer = step;
        return this;
    }

    /** The clock the OCSP engine runs on (see {@link StapledServer.Builder#clock}). */
    public StapledServerExtension clock(Clock clock) {
        this.clock = clock;
        return this;
    }

    @Override
    public void beforeAll(ExtensionContext context) throws Exception {
        perClass = true;
        start();
    }

    @Override
    public void afterAll(ExtensionContext context) {
        stop();
    }

    @Override
    public void beforeEach(ExtensionContext context) throws Exception {
        if (!perClass) {
            start();
        }
    }

    @Override
    public void afterEach(ExtensionContext context) {
        if (!perClass) {
            stop();
        }
    }

    /** Starts everything; the lifecycle callbacks call it, a test may call it again after {@link #stop()}. */
    public void start() throws Exception {
        dir = Files.createTempDirectory("stapled-ext");
        responder = OcspResponderServer.builder(intermediate).start();
        if (yaml.contains("${backend}")) {
            Transport transport = Transport.best();
            backendGroup = transport.newGroup(1, "ext-backend");
            backend = DemoBackend.start(backendGroup, transport, new InetSocketAddress("127.0.0.1", 0));
        }
        String resolved = resolve(yaml);
        beforeServer.accept(this);
        StapledConfig config = ConfigLoader.parse(resolved, dir.resolve("stapled.yaml"));
        server = StapledServer.builder(config).clock(clock).start();
        client = new TlsTestClient();
    }

    private String resolve(String template) {
        Matcher m = PLACEHOLDER.matcher(template);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            String arg = m.group(2);
            String value = switch (m.group(1)) {
                case "cert" -> certificate(arg);
                case "backend" -> Integer.toString(backend.address().getPort());
                case "port" -> Integer.toString(required(ports.get(arg), "port", arg).getAsInt());
                case "responder" -> responder.url();
                case "socket" -> dir.resolve("admin.sock").toString();
                case "dir" -> dir.toString();
                default -> throw new IllegalArgumentException("unknown placeholder " + m.group());
            };
            m.appendReplacement(out, Matcher.quoteReplacement(value));
        }
        m.appendTail(out);
        return out.toString();
    }

    private String certificate(String arg) {
        int colon = arg.indexOf(':');
        String name = colon < 0 ? arg : arg.substring(0, colon);
        BigInteger serial = colon < 0 ? BigInteger.valueOf(SERIAL.incrementAndGet())
                : new BigInteger(arg.substring(colon + 1), 16);
        IssuedCertificate leaf = CertificateBuilder.subject("CN=" + name).issuer(intermediate).dnsNames(name)
                .ocspUrl(responder.url()).serial(serial).build();
        Path file = leaf.writeBundle(dir.resolve("certs").resolve(name + ".pem"));
        leaves.put(name, leaf);
        certificateFiles.put(name, file);
        return file.toString();
    }

    private static <T> T required(T value, String kind, String name) {
        if (value == null) {
            throw new IllegalArgumentException("no " + kind + " named " + name + " given to the extension");
        }
        return value;
    }

    /** Stops the server and what the extension started for it. Safe to call more than once. */
    public void stop() {
        if (client != null) {
            client.close();
            client = null;
        }
        if (server != null) {
            server.stop(java.time.Duration.ofSeconds(1));
            server = null;
        }
        if (backend != null) {
            backend.close();
            backendGroup.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
            backend = null;
        }
        if (responder != null) {
            responder.close();
            responder = null;
        }
        if (dir != null) {
            deleteRecursively(dir);
            dir = null;
        }
        leaves.clear();
        certificateFiles.clear();
    }

    private static void deleteRecursively(Path dir) {
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public StapledServer server() {
        return started(server);
    }

    /** The port frontend {@code name} is bound to. */
    public int port(String name) {
        return server().frontend(name).address().getPort();
    }

    /** The port of the first frontend in the YAML. */
    public int port() {
        return server().frontends().get(0).address().getPort();
    }

    /** The runtime API, or null when the YAML has no {@code runtime_api}. */
    public RuntimeApiServer runtimeApi() {
        return server().runtimeApi();
    }

    /** A TLS client, closed with the server. */
    public TlsTestClient client() {
        return started(client);
    }

    /** An HTTPS connection to the first frontend, trusting {@link #root()}, asking for a staple. */
    public TlsTestClient.Connection open(String sni) throws Exception {
        return client().open(port(), sni, true, root.certificate());
    }

    public OcspResponderServer responder() {
        return started(responder);
    }

    /** The backend behind {@code ${backend}}. */
    public DemoBackend backend() {
        return required(backend, "backend", "${backend}");
    }

    /** The leaf made for {@code ${cert:name}}. */
    public IssuedCertificate leaf(String name) {
        return required(leaves.get(name), "certificate", name);
    }

    /** The bundle written for {@code ${cert:name}}. */
    public Path certificateFile(String name) {
        return required(certificateFiles.get(name), "certificate", name);
    }

    public X509Certificate root() {
        return root.certificate();
    }

    /** The intermediate that issued the leaves; the responder signs as it. */
    public IssuedCertificate intermediate() {
        return intermediate;
    }

    public Path dir() {
        return started(dir);
    }

    private static <T> T started(T value) {
        if (value == null) {
            throw new IllegalStateException("the stapled server is not running (stopped, or not registered with"
                    + " @RegisterExtension)");
        }
        return value;
    }
}
