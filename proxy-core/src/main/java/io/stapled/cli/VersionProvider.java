package io.stapled.cli;

import io.netty.handler.ssl.OpenSsl;
import io.stapled.server.StapledVersion;
import picocli.CommandLine.IVersionProvider;

final class VersionProvider implements IVersionProvider {
    @Override
    public String[] getVersion() {
        String tls = OpenSsl.isAvailable() ? OpenSsl.versionString() : "unavailable (" + OpenSsl.unavailabilityCause() + ")";
        return new String[] {
            "stapled " + StapledVersion.get(),
            "TLS: " + tls,
            "Java: " + System.getProperty("java.version") + " (" + System.getProperty("java.vm.name") + ")"
        };
    }
}
