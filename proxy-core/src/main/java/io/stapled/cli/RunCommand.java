package io.stapled.cli;

import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;

import io.stapled.config.ConfigLoader;
import io.stapled.config.StapledConfig;
import io.stapled.server.ConsoleLogging;
import io.stapled.server.ListenerSockets;
import io.stapled.server.ListenerTakeover;
import io.stapled.server.LogLevels;
import io.stapled.server.StapledServer;
import io.stapled.server.SystemdNotifier;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "run", mixinStandardHelpOptions = true,
        description = "Validate the config, load staples, open the listeners and serve until SIGTERM/SIGINT.")
final class RunCommand implements Callable<Integer> {
    @Option(names = {"-c", "--config"}, required = true, paramLabel = "FILE", description = "YAML config file")
    Path config;

    @Option(names = "--takeover", paramLabel = "SOCKET",
            description = "Take the listening sockets over from the stapled answering on this runtime API socket"
                    + " (its runtime_api.expose_listeners: true), then tell it to drain and exit: an upgrade"
                    + " without a refused connection (HAProxy's -x).")
    Path takeover;

    @Override
    public Integer call() throws Exception {
        StapledConfig cfg = ConfigLoader.load(config);
        LogLevels.apply(cfg.global().logLevel());
        ConsoleLogging.useFormat(cfg.global().logFormat());
        TerminationSignals signals = TerminationSignals.install();
        Map<String, String> env = System.getenv();
        try (SystemdNotifier systemd = SystemdNotifier.fromEnvironment(env)) {
            ListenerSockets listeners = takeover != null ? ListenerTakeover.fetch(takeover) : ListenerSockets.fromSystemd(env);
            try (StapledServer server = StapledServer.builder(cfg).listeners(listeners).start()) {
                if (listeners.previousPid() > 0) {
                    systemd.mainPid(ProcessHandle.current().pid()); // heeded with NotifyAccess=all only
                }
                systemd.ready("serving " + server.frontends().size() + " frontends");
                systemd.startWatchdog(server.workers());
                ListenerTakeover.retire(listeners);
                signals.await(); // then close(): stop accepting, drain for shutdown_grace, release
                systemd.stopping();
            }
        }
        return 0;
    }
}
