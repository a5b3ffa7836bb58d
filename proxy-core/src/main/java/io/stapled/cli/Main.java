package io.stapled.cli;

import picocli.CommandLine;

/** The {@code stapled} command line: {@code run}, {@code check}, {@code demo}, {@code --version}. */
public final class Main {
    private Main() { }

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    public static CommandLine commandLine() {
        return new CommandLine(new StapledCommand())
                .setCaseInsensitiveEnumValuesAllowed(true)
                .setExecutionExceptionHandler(new CliErrorHandler());
    }
}
