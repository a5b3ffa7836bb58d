package io.stapled.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

import io.stapled.config.ConfigLoader;
import io.stapled.config.StapledConfig;
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
        StapledServer server = StapledServer.start(cfg);
        serveUntilSignalled(server);
        return 0;
    }

    /** SIGTERM and SIGINT run the JVM's shutdown hooks: stop accepting, drain, then exit. */
    static void serveUntilSignalled(StapledServer server) throws InterruptedException {
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.close();
            stopped.countDown();
        }, "stapled-shutdown"));
        stopped.await();
    }
}
