package io.stapled.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;

import io.stapled.testing.StapledServerExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A crt-list served by two frontends is one list to the runtime API: a line added or deleted changes
 * what both serve, and the lists are shown sorted by name, as HAProxy shows them (issue 11).
 */
@Timeout(60)
class CrtListSharedTest {
    @RegisterExtension
    final StapledServerExtension stapled = StapledServerExtension.fromYaml("""
            frontends:
              - name: first
                bind: 127.0.0.1:0
                mode: http
                backend: web
                certificates:
                  - crt_list: ${dir}/z.list
              - name: second
                bind: 127.0.0.1:0
                mode: http
                backend: web
                certificates:
                  - crt_list: ${dir}/z.list
                  - crt_list: ${dir}/a.list
            backends:
              - name: web
                servers:
                  - { name: web1, address: 127.0.0.1:${backend} }
            runtime_api: { socket: ${socket}, mode: "0600", level: admin }
            # certificates: ${cert:site.test:D01} ${cert:other.test:D02}
            """).beforeServer(CrtListSharedTest::writeLists);

    private static void writeLists(StapledServerExtension ext) {
        try {
            Files.writeString(ext.dir().resolve("z.list"), ext.certificateFile("site.test") + "\n");
            Files.writeString(ext.dir().resolve("a.list"), ext.certificateFile("other.test") + "\n");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private String send(String text) throws IOException {
        return CliClient.send(stapled.runtimeApi().socket(), text);
    }

    private String serial(String frontend, String sni) throws Exception {
        return stapled.client().handshake(stapled.port(frontend), sni).serialHex();
    }

    @Test
    void aSharedListChangesEveryFrontendServingIt() throws Exception {
        String z = stapled.dir().resolve("z.list").toString();
        String a = stapled.dir().resolve("a.list").toString();
        String other = stapled.certificateFile("other.test").toString();
        assertEquals(a + "\n" + z + "\n\n", send("show ssl crt-list\n"), "sorted, each list once");
        assertEquals("d01", serial("first", "added.test"));

        assertEquals("Inserting certificate '" + other + "' in crt-list '" + z + "'.\nSuccess!\n\n",
                send("add ssl crt-list " + z + " " + other + " added.test\n"));
        assertEquals("d02", serial("first", "added.test"), "the first frontend serves the new line");
        assertEquals("d02", serial("second", "added.test"), "and so does the second");

        assertEquals("Entry '" + other + "' deleted in crtlist '" + z + "'!\n\n",
                send("del ssl crt-list " + z + " " + other + "\n"));
        assertEquals("d01", serial("first", "added.test"));
        assertEquals("d01", serial("second", "added.test"));
        assertEquals("d02", serial("second", "other.test"), "a.list's line stays");
        assertEquals("Can't remove the certificate: certificate '" + other + "' in use, can't be deleted!\n\n",
                send("del ssl cert " + other + "\n"), "still served through a.list");
    }
}
