package io.stapled.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;

import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslProvider;
import io.netty.util.ReferenceCountUtil;
import io.stapled.config.CertificateSource;
import io.stapled.config.ConfigLoader;
import io.stapled.config.TlsConfig;
import io.stapled.testing.ExternalTool;
import io.stapled.testkit.TestPki;
import io.stapled.testkit.TlsTestClient;
import io.stapled.testkit.pki.IssuedCertificate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** HAProxy's {@code strict-sni}: no default certificate; a known name is still served. */
class StrictSniTest {
    @TempDir
    Path dir;

    @Test
    void theYamlKeyIsTlsStrictSni() throws Exception {
        TestPki.ecLeaf("site.test", "site.test").writeBundle(dir.resolve("site.pem"));
        String yaml = """
                frontends:
                  - name: https
                    bind: 127.0.0.1:0
                    backend: app
                    certificates:
                      - dir: %s
                    tls:
                      strict_sni: true
                backends:
                  - name: app
                    servers:
                      - { name: a, address: 127.0.0.1:1 }
                """.formatted(dir);
        assertTrue(ConfigLoader.parse(yaml, dir.resolve("stapled.yaml")).frontends().get(0).tls().strictSni());
    }

    @Test
    void unknownNameAndNoSniFailTheHandshakeWithUnrecognizedName() throws Exception {
        ExternalTool.assumeInstalled("openssl");
        IssuedCertificate site = TestPki.ecLeaf("site.test", "site.test");
        site.writeBundle(dir.resolve("site.pem"));
        TlsConfig tls = TlsConfig.defaults().withStrictSni(true);
        try (TlsFrontend frontend = Frontends.create(tls, new CertificateSource.Directory(dir,
                     CertificateSource.OcspOptions.DEFAULT));
             TlsTestServer server = new TlsTestServer(frontend);
             TlsTestClient client = new TlsTestClient()) {
            SslContext ctx = TlsTestClient.builder(SslProvider.OPENSSL).build();
            try {
                assertEquals(site.certificate(), client.connect(ctx, "site.test", server.port()).leaf());
            } finally {
                ReferenceCountUtil.release(ctx);
            }
            String unknown = OpenSslCli.sClient(server.port(), "-servername", "nobody.test");
            assertTrue(unknown.contains("alert unrecognized name") || unknown.contains("unrecognized_name")
                    || unknown.contains("alert number 112"), unknown);
            String noSni = OpenSslCli.sClient(server.port(), "-noservername");
            assertTrue(noSni.contains("alert unrecognized name") || noSni.contains("unrecognized_name")
                    || noSni.contains("alert number 112"), noSni);
            assertTrue(OpenSslCli.sClient(server.port(), "-servername", "site.test").contains("CN = site.test"));
        }
    }
}
