package io.stapled.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code stapled import-haproxy} as a user runs it: where the YAML goes, the skipped list, exit codes. */
class ImportHaproxyCommandTest {
    @TempDir
    Path dir;

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    private int run(String... args) {
        CommandLine cli = Main.commandLine();
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        return cli.execute(args);
    }

    private Path cfg(String text) throws Exception {
        return Files.writeString(dir.resolve("haproxy.cfg"), text);
    }

    @Test
    void writesTheYamlToStdoutAndListsSkippedLinesOnStderr() throws Exception {
        Path cfg = cfg("global\n  daemon\ndefaults\n  mode http\nfrontend f\n  bind :80\n  default_backend app\n"
                + "backend app\n  server a 10.0.0.1:80\n");
        assertEquals(0, run("import-haproxy", cfg.toString()));
        assertTrue(out.toString().contains("default_backend: app"), out.toString());
        assertEquals(cfg + ":2: not translated: stapled runs in the foreground under its supervisor: daemon\n",
                err.toString());
    }

    @Test
    void strictExitsNonZeroWhenSomethingWasSkipped() throws Exception {
        Path cfg = cfg("global\n  daemon\n");
        assertEquals(1, run("import-haproxy", "--strict", cfg.toString()));
        Path clean = Files.writeString(dir.resolve("clean.cfg"), "defaults\n  mode http\nbackend app\n"
                + "  server a 10.0.0.1:80\n");
        assertEquals(0, run("import-haproxy", "--strict", clean.toString()));
    }

    @Test
    void outputFileAndTheYamlLoads() throws Exception {
        Path cfg = cfg("defaults\n  mode http\nfrontend f\n  bind 127.0.0.1:0\n  default_backend app\n"
                + "backend app\n  server a 127.0.0.1:9\n");
        Path yaml = dir.resolve("stapled.yaml");
        assertEquals(0, run("import-haproxy", "-o", yaml.toString(), cfg.toString()));
        assertEquals("", out.toString());
        assertEquals(0, run("check", "--config", yaml.toString()));
        assertTrue(out.toString().contains(": OK"), out.toString());
    }

    @Test
    void anUnreadableFileIsExitTwo() {
        assertEquals(2, run("import-haproxy", dir.resolve("missing.cfg").toString()));
        assertTrue(err.toString().contains("missing.cfg: cannot read"), err.toString());
    }
}
