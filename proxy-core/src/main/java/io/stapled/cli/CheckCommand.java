package io.stapled.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;

import io.stapled.config.ConfigLoader;
import io.stapled.config.StapledConfig;
import io.stapled.server.ConfigCheck;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

@Command(name = "check", mixinStandardHelpOptions = true,
        description = "Validate the config and load every certificate and key, without starting anything.")
final class CheckCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = {"-c", "--config"}, required = true, paramLabel = "FILE", description = "YAML config file")
    Path config;

    @Override
    public Integer call() {
        StapledConfig cfg = ConfigLoader.load(config);
        String summary = ConfigCheck.verify(cfg);
        cfg.warnings().forEach(w -> spec.commandLine().getErr().println("warning: " + w.format()));
        spec.commandLine().getOut().println(config + ": OK (" + summary + ")");
        return 0;
    }
}
