package io.stapled.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;

import io.stapled.haproxy.HaproxyConfig;
import io.stapled.haproxy.HaproxyImporter;
import io.stapled.haproxy.HaproxyParser;
import io.stapled.haproxy.Skipped;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "import-haproxy", mixinStandardHelpOptions = true,
        description = {"Translate an HAProxy configuration into stapled YAML (stdout, or -o FILE).",
                "What cannot be translated is listed on stderr with file:line and why."})
final class ImportHaproxyCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "HAPROXY_CFG", description = "the HAProxy configuration file")
    Path input;

    @Option(names = {"-o", "--output"}, paramLabel = "FILE", description = "write the YAML here instead of stdout")
    Path output;

    @Option(names = "--strict", description = "exit 1 when anything was not translated")
    boolean strict;

    @Override
    public Integer call() throws IOException {
        String text;
        try {
            text = Files.readString(input, StandardCharsets.UTF_8);
        } catch (IOException e) {
            spec.commandLine().getErr().println(input + ": cannot read: " + e.getMessage());
            return 2;
        }
        HaproxyConfig cfg = HaproxyParser.parse(text, input.toString(), System.getenv());
        HaproxyImporter.Result result = HaproxyImporter.convert(cfg, input.toString());
        if (output == null) {
            spec.commandLine().getOut().print(result.yaml());
            spec.commandLine().getOut().flush();
        } else {
            Files.writeString(output, result.yaml(), StandardCharsets.UTF_8);
        }
        for (Skipped s : result.skipped()) {
            spec.commandLine().getErr().println(s.format());
        }
        result.notes().forEach(n -> spec.commandLine().getErr().println("note: " + n));
        spec.commandLine().getErr().flush();
        return strict && !result.skipped().isEmpty() ? 1 : 0;
    }
}
