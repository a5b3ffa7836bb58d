package io.stapled.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;

import io.stapled.demo.Demo;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Make a throwaway PKI, start a demo OCSP responder and backend, and serve "
                + "https://localhost:8443 with stapling. Nothing to install.")
final class DemoCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--dir", paramLabel = "DIR", description = "where to write the PKI and config (default: ${DEFAULT-VALUE})")
    Path dir = Demo.Options.defaults().dir();

    @Option(names = "--port", description = "HTTPS port (default: ${DEFAULT-VALUE})")
    int port = 8443;

    @Option(names = "--backend-port", description = "demo backend port (default: ${DEFAULT-VALUE})")
    int backendPort = 8081;

    @Option(names = "--admin-port", description = "metrics/health port (default: ${DEFAULT-VALUE})")
    int adminPort = 9100;

    @Override
    public Integer call() throws Exception {
        TerminationSignals signals = TerminationSignals.install();
        try (Demo demo = Demo.start(new Demo.Options(dir, port, backendPort, adminPort))) {
            spec.commandLine().getOut().println(demo.instructions());
            spec.commandLine().getOut().flush();
            signals.await();
        }
        return 0;
    }
}
