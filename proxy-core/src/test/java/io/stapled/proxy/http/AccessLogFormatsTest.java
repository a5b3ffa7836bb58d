package io.stapled.proxy.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.slf4j.LoggerFactory;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;

import io.stapled.testing.ExternalTool;
import io.stapled.testing.StapledServerExtension;
import io.stapled.testkit.Poll;
import io.stapled.testkit.pki.IssuedCertificate;

/**
 * Each {@code access_log} format's line for a real request through the proxy, from curl over HTTP/1.1
 * and HTTP/2: combined, JSON (parsed back) and a template with every supported word.
 */
@Timeout(120)
class AccessLogFormatsTest {
    private static final String TEMPLATE = "%ci %cp %ft %b %s %ST %B %U %Tt %Tc %Tr [%t] %Ts \\\"%r\\\" %HM %HU %HP "
            + "%HQ %HV %ID %sslv %sslc %[ssl_fc_sni] %[req.hdr(user-agent)] 100%%";

    @RegisterExtension
    static final StapledServerExtension STAPLED = StapledServerExtension.fromYaml("""
            frontends:
              - name: combined
                bind: 127.0.0.1:0
                backend: app
                access_log: { format: combined }
                certificates:
                  - crt: ${cert:a.test}
              - name: json
                bind: 127.0.0.1:0
                backend: app
                access_log: { format: json, queue: 100 }
                request_id: { header: X-Request-Id }
                certificates:
                  - crt: ${cert:a.test}
              - name: tpl
                bind: 127.0.0.1:0
                backend: app
                access_log:
                  format: template
                  template: "%s"
                request_id: { header: X-Request-Id }
                certificates:
                  - crt: ${cert:a.test}
            backends:
              - name: app
                servers:
                  - { name: web1, address: 127.0.0.1:${backend} }
            """.replace("%s", TEMPLATE));

    private final ListAppender<ILoggingEvent> access = new ListAppender<>();

    @BeforeEach
    void capture() {
        access.start();
        ((Logger) LoggerFactory.getLogger("stapled.access")).addAppender(access);
    }

    @AfterEach
    void release() {
        ((Logger) LoggerFactory.getLogger("stapled.access")).detachAppender(access);
    }

    @ParameterizedTest
    @ValueSource(strings = {"--http1.1", "--http2"})
    void combined(String protocol) throws Exception {
        String path = "/c" + protocol.substring(6) + "?secret=1";
        curl("combined", protocol, path);
        String line = line(path);
        String version = protocol.equals("--http2") ? "HTTP/2.0" : "HTTP/1.1";
        assertTrue(line.matches("127\\.0\\.0\\.1 - - \\[\\d\\d/[A-Z][a-z]{2}/\\d{4}:\\d\\d:\\d\\d:\\d\\d \\+0000] \""
                + "GET " + Pattern.quote(path) + " " + Pattern.quote(version) + "\" 200 \\d+ "
                + "\"https://ref\\.test/\" \"ua \\\\x22quoted\\\\x22\""), line);
    }

    @ParameterizedTest
    @ValueSource(strings = {"--http1.1", "--http2"})
    void jsonIsOneObjectWithStableFieldsAndNoQuery(String protocol) throws Exception {
        String path = "/j" + protocol.substring(6);
        curl("json", protocol, path + "?token=secret");
        String line = line(path);
        JsonObject o = JsonParser.parseString(line).getAsJsonObject();
        assertEquals(List.of("time", "client_ip", "client_port", "frontend", "backend", "server", "method", "path",
                "protocol", "status", "bytes", "request_bytes", "duration_ms", "connect_ms", "ttfb_ms", "tls_version",
                "tls_cipher", "sni", "request_id", "user_agent", "referer"), new ArrayList<>(o.keySet()));
        assertEquals("127.0.0.1", o.get("client_ip").getAsString());
        assertTrue(o.get("client_port").getAsInt() > 0);
        assertEquals("json", o.get("frontend").getAsString());
        assertEquals("app", o.get("backend").getAsString());
        assertEquals("web1", o.get("server").getAsString());
        assertEquals("GET", o.get("method").getAsString());
        assertEquals(path, o.get("path").getAsString(), "the query string is not logged");
        assertFalse(line.contains("secret"), line);
        assertEquals(protocol.equals("--http2") ? "HTTP/2.0" : "HTTP/1.1", o.get("protocol").getAsString());
        assertEquals(200, o.get("status").getAsInt());
        assertTrue(o.get("bytes").getAsLong() > 0);
        assertEquals(0, o.get("request_bytes").getAsLong());
        double total = o.get("duration_ms").getAsDouble();
        double connect = o.get("connect_ms").getAsDouble();
        double ttfb = o.get("ttfb_ms").getAsDouble();
        assertTrue(0 <= connect && connect <= ttfb && ttfb <= total, line);
        assertTrue(o.get("tls_version").getAsString().startsWith("TLSv1."), line);
        assertFalse(o.get("tls_cipher").getAsString().isEmpty(), line);
        assertEquals("a.test", o.get("sni").getAsString());
        assertTrue(o.get("request_id").getAsString().matches("[0-9a-f]{32}"), line);
        assertEquals("ua \"quoted\"", o.get("user_agent").getAsString(), "escaped, and read back as sent");
        assertEquals("https://ref.test/", o.get("referer").getAsString());
    }

    @ParameterizedTest
    @ValueSource(strings = {"--http1.1", "--http2"})
    void templateWithEveryWord(String protocol) throws Exception {
        String path = "/t" + protocol.substring(6);
        curl("tpl", protocol, path + "?q=1");
        String line = line(path);
        String version = protocol.equals("--http2") ? "HTTP/2.0" : "HTTP/1.1";
        Matcher m = Pattern.compile("127\\.0\\.0\\.1 (\\d+) tpl app web1 200 (\\d+) 0 (\\d+) (\\d+) (\\d+) "
                + "\\[\\d\\d/[A-Z][a-z]{2}/\\d{4}:\\d\\d:\\d\\d:\\d\\d\\.\\d{3}] (\\d{10}) "
                + "\"GET " + Pattern.quote(path) + "\\?q=1 " + Pattern.quote(version) + "\" GET "
                + Pattern.quote(path) + "\\?q=1 " + Pattern.quote(path) + " \\?q=1 " + Pattern.quote(version)
                + " ([0-9a-f]{32}) (TLSv1\\.[23]) (\\S+) a\\.test ua \\\\x22quoted\\\\x22 100%").matcher(line);
        assertTrue(m.matches(), line);
        assertTrue(Integer.parseInt(m.group(1)) > 0, "client port");
        assertTrue(Long.parseLong(m.group(2)) > 0, "bytes");
        long now = System.currentTimeMillis() / 1000;
        assertTrue(Math.abs(now - Long.parseLong(m.group(6))) < 60, "%Ts: " + line);
    }

    @Test
    void aRequestAnsweredWithoutABackendHasMinusOneTimesInTheTemplateAndNullsInJson() throws Exception {
        // An invalid Host is answered 400 before a server is picked.
        ExternalTool.assumeInstalled("curl");
        curlRaw("json", "--http1.1", "-H", "Host: a b", url("json", "/bad-host"));
        String line = line("/bad-host");
        JsonObject o = JsonParser.parseString(line).getAsJsonObject();
        assertEquals(400, o.get("status").getAsInt());
        assertTrue(o.get("server").isJsonNull(), line);
        assertTrue(o.get("connect_ms").isJsonNull(), line);
        assertTrue(o.get("ttfb_ms").isJsonNull(), line);
    }

    private static String url(String frontend, String path) {
        return "https://a.test:" + STAPLED.port(frontend) + path;
    }

    private static void curl(String frontend, String protocol, String path) throws Exception {
        ExternalTool.assumeInstalled("curl");
        ExternalTool.Result r = curlRaw(frontend, protocol, url(frontend, path));
        assertEquals(0, r.exitCode(), r.output());
        assertTrue(r.output().contains(protocol.equals("--http2") ? "< HTTP/2 200" : "< HTTP/1.1 200"), r.output());
    }

    private static ExternalTool.Result curlRaw(String frontend, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("curl", "-sS", "-v", "-o", "/dev/null", "--cacert",
                rootPem().toString(), "--resolve", "a.test:" + STAPLED.port(frontend) + ":127.0.0.1",
                "-A", "ua \"quoted\"", "-e", "https://ref.test/"));
        cmd.addAll(List.of(args));
        return ExternalTool.run(30, cmd);
    }

    private static Path rootPem() throws Exception {
        Path file = STAPLED.dir().resolve("root.pem");
        if (!Files.exists(file)) {
            Files.writeString(file, IssuedCertificate.pem(STAPLED.root()));
        }
        return file;
    }

    /** The one line logged for {@code path}, once the writer thread wrote it. */
    private String line(String path) {
        Poll.until(Duration.ofSeconds(10), "access log line for " + path, () -> matching(path).size() == 1);
        return matching(path).get(0);
    }

    private List<String> matching(String path) {
        synchronized (access) {
            return new ArrayList<>(access.list).stream().map(ILoggingEvent::getFormattedMessage)
                    .filter(l -> l.contains(path)).toList();
        }
    }
}
