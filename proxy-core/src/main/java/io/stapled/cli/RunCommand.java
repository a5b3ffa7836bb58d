package io.stapled.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;

import io.stapled.config.ConfigLoader;
import io.stapled.config.StapledConfig;
import io.stapled.server.ConsoleLogging;
import io.stapled.server.LogLevels;
import io.stapled.server.StapledServer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "run", mixinStandardHelpOptions = true,
        description = "Validate the config, load staples, open the listeners and serve until SIGTERM/SIGINT.")
final class RunCommand implements Callable<Integer> {
    @Option(names = {"-c", "--config"}, required = true, paramLabel = "FILE", description = "YAML config file")
    Path config;

    @Override
    public Integer call() throws Exception {
        StapledConfig cfg = ConfigLoader.load(config);
        LogLevels.apply(cfg.global().logLevel());
        ConsoleLogging.useFormat(cfg.global().logFormat());
        TerminationSignals signals = TerminationSignals.install();
        try (StapledServer server = StapledServer.start(cfg)) {
            signals.await(); // then close(): stop accepting, drain for shutdown_grace, release
        }
        return 0;
    }
}
