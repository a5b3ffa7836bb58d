package io.stapled.cli;

import io.netty.handler.ssl.OpenSsl;
import picocli.CommandLine.IVersionProvider;

final class VersionProvider implements IVersionProvider {
    @Override
    public String[] getVersion() {
        String version = Main.class.getPackage().getImplementationVersion();
        String tls = OpenSsl.isAvailable() ? OpenSsl.versionString() : "unavailable (" + OpenSsl.unavailabilityCause() + ")";
        return new String[] {
            "stapled " + (version != null ? version : "dev"),
            "TLS: " + tls,
            "Java: " + System.getProperty("java.version") + " (" + System.getProperty("java.vm.name") + ")"
        };
    }
}
