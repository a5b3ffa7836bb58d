package io.stapled.cli;

import picocli.CommandLine.Command;

@Command(name = "stapled",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        description = "TLS-terminating edge proxy with built-in OCSP stapling.",
        subcommands = {RunCommand.class, CheckCommand.class, StapleCommand.class, DemoCommand.class,
                ImportHaproxyCommand.class})
final class StapledCommand implements Runnable {
    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }
}
