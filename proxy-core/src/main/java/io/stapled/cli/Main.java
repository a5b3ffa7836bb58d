package io.stapled.cli;

import io.netty.util.ResourceLeakDetector;
import io.stapled.tls.TlsProviders;
import picocli.CommandLine;

/** The {@code stapled} command line: {@code run}, {@code check}, {@code staple}, {@code demo}, {@code --version}. */
public final class Main {
    private Main() { }

    public static void main(String[] args) {
        TlsProviders.loadInBackground(); // first: it overlaps parsing the command line and the config
        leakDetectionOffUnlessAsked();
        System.exit(commandLine().execute(args));
    }

    /**
     * Netty's default leak detection takes a stack trace for one buffer in 128: about 3 % of the CPU
     * of a proxied keep-alive request (measured in benchmarks/RESULTS.md). The tests run it at
     * paranoid; a deployment chasing a leak turns it on with -Dio.netty.leakDetection.level.
     */
    static void leakDetectionOffUnlessAsked() {
        if (System.getProperty("io.netty.leakDetection.level") == null
                && System.getProperty("io.netty.leakDetectionLevel") == null) {
            ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.DISABLED);
        }
    }

    public static CommandLine commandLine() {
        return new CommandLine(new StapledCommand())
                .setCaseInsensitiveEnumValuesAllowed(true)
                .setExecutionExceptionHandler(new CliErrorHandler());
    }
}
