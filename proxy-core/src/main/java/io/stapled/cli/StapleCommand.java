package io.stapled.cli;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

import io.stapled.config.AdminHttpConfig;
import io.stapled.config.CertificateFiles;
import io.stapled.config.CertificateSource;
import io.stapled.config.ConfigLoader;
import io.stapled.config.Durations;
import io.stapled.config.HostPort;
import io.stapled.config.OcspConfig;
import io.stapled.config.StapleConfig;
import io.stapled.ocsp.OcspSettings;
import io.stapled.server.LogLevels;
import io.stapled.server.StapleService;
import io.stapled.config.CommandWords;
import picocli.CommandLine.Command;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

@Command(name = "staple", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Keep the OCSP staples of another server's certificates fresh: fetch, verify and write each "
                + "<cert>.ocsp (HAProxy's layout), push new staples to HAProxy's stats socket, or run a command "
                + "after each one. Serves nothing itself; runs until SIGTERM/SIGINT. See docs/STAPLE.md."})
final class StapleCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = {"-c", "--config"}, paramLabel = "FILE",
            description = "a YAML file with a staple: section (and the proxy's ocsp:, admin_http: and global: file "
                    + "rules) instead of the options below; see config-examples/staple-haproxy.yaml")
    Path config;

    @Option(names = "--dir", paramLabel = "DIR",
            description = "a certificate directory as HAProxy's 'crt DIR' reads it (repeatable)")
    List<Path> dirs = new ArrayList<>();

    @Option(names = "--crt-list", paramLabel = "FILE", description = "an HAProxy crt-list (repeatable)")
    List<Path> crtLists = new ArrayList<>();

    @Option(names = "--crt-base", paramLabel = "DIR",
            description = "where relative crt-list entries start (HAProxy's crt-base; default: the list's directory)")
    Path crtBase;

    @Option(names = "--haproxy-socket", paramLabel = "SOCKET",
            description = "HAProxy's stats socket: each new staple is pushed with "
                    + "'set ssl ocsp-response', no reload")
    Path haproxySocket;

    @Option(names = "--on-change", paramLabel = "COMMAND",
            description = "run after each new staple stapled fetched and wrote, e.g. 'nginx -s reload'; split into "
                    + "words like a shell would, but run without one; the certificate is in $STAPLED_CERT")
    String onChange;

    @Option(names = "--fleet-config", paramLabel = "FILE",
            description = "a YAML file with a fleet: section, as in the proxy's config: share staples with the "
                    + "fleet through its Redis, so one fetch feeds every node (docs/FLEET.md)")
    Path fleetConfig;

    @Option(names = "--interval", paramLabel = "DURATION", converter = DurationConverter.class, defaultValue = "1d",
            description = "fetch each staple at least this often (default: ${DEFAULT-VALUE}; staples are also "
                    + "refreshed around the middle of their validity, whichever is sooner)")
    Duration interval;

    @Option(names = "--responder", paramLabel = "URL",
            description = "ask this OCSP responder for every certificate instead of the one in its AIA")
    URI responder;

    @Option(names = "--admin-http", paramLabel = "HOST:PORT", converter = HostPortConverter.class,
            description = "serve /metrics, /healthz and /readyz here (e.g. 127.0.0.1:9100)")
    HostPort adminHttp;

    @Option(names = "--ready-min-staple-validity", paramLabel = "DURATION", converter = DurationConverter.class,
            defaultValue = "0s",
            description = "/readyz fails while a staple is missing or expires sooner than this (default: ${DEFAULT-VALUE})")
    Duration readyMinValidity;

    @Option(names = "--startup-wait", paramLabel = "DURATION", converter = DurationConverter.class, defaultValue = "5s",
            description = "how long start-up waits for the first staples before saying which are missing "
                    + "(default: ${DEFAULT-VALUE})")
    Duration startupWait;

    @Option(names = "--on-change-timeout", paramLabel = "DURATION", converter = DurationConverter.class,
            defaultValue = "30s",
            description = "kill the --on-change command after this (default: ${DEFAULT-VALUE})")
    Duration onChangeTimeout;

    @Option(names = "--push-timeout", paramLabel = "DURATION", converter = DurationConverter.class, defaultValue = "5s",
            description = "give up one push to HAProxy after this; it is retried (default: ${DEFAULT-VALUE})")
    Duration pushTimeout;

    @Option(names = "--rescan", paramLabel = "DURATION", converter = DurationConverter.class, defaultValue = "1m",
            description = "look this often for certificates added, renewed or removed on disk; 0s: never "
                    + "(default: ${DEFAULT-VALUE})")
    Duration rescan;

    @Option(names = "--issuers-chain-path", paramLabel = "DIR",
            description = "intermediates for certificates whose files hold only the leaf (HAProxy's issuers-chain-path)")
    Path issuersChainPath;

    @Option(names = "--load-extra-del-ext",
            description = "siblings of site.crt are site.key, site.ocsp, site.issuer (HAProxy's ssl-load-extra-del-ext)")
    boolean deleteExtension;

    @Option(names = "--log-level", paramLabel = "LEVEL", defaultValue = "info", description = "root log level (default: ${DEFAULT-VALUE})")
    String logLevel;

    @Override
    public Integer call() throws Exception {
        StapleConfig cfg = config();
        LogLevels.apply(cfg.logLevel());
        TerminationSignals signals = TerminationSignals.install();
        try (StapleService service = StapleService.start(cfg)) {
            signals.await();
        }
        return 0;
    }

    /** What the options (or the file) ask for; usage errors as picocli's (a message and the usage, exit 2). */
    StapleConfig config() {
        if (config != null) {
            if (!dirs.isEmpty() || !crtLists.isEmpty() || haproxySocket != null || onChange != null
                    || adminHttp != null || responder != null || fleetConfig != null) {
                throw new ParameterException(spec.commandLine(), "--config takes everything from the file; "
                        + "put --dir, --crt-list, --haproxy-socket, --on-change, --admin-http, --responder and "
                        + "--fleet-config (its fleet: section) there");
            }
            return ConfigLoader.loadStaple(config);
        }
        if (dirs.isEmpty() && crtLists.isEmpty()) {
            throw new ParameterException(spec.commandLine(), "give at least one --dir or --crt-list (or --config)");
        }
        List<CertificateSource> sources = new ArrayList<>();
        for (Path d : dirs) {
            sources.add(new CertificateSource.Directory(d, CertificateSource.OcspOptions.DEFAULT));
        }
        for (Path f : crtLists) {
            sources.add(new CertificateSource.CrtList(f, CertificateSource.OcspOptions.DEFAULT, null, crtBase));
        }
        if (interval.isZero() || interval.isNegative()) {
            throw new ParameterException(spec.commandLine(), "--interval must be longer than 0s");
        }
        if (adminHttp != null && !adminHttp.isLoopback()) {
            throw new ParameterException(spec.commandLine(), "--admin-http must be a loopback address (127.0.0.1, [::1]"
                    + " or localhost): /metrics and /readyz are for local scrapers and probes, got " + adminHttp);
        }
        OcspSettings defaults = OcspSettings.defaults();
        OcspSettings settings = defaults.toBuilder()
                .responderOverride(responder)
                .maxRefresh(interval)
                // a short --interval is what the operator wants, even under the default 5m floor
                .minRefresh(interval.compareTo(defaults.minRefresh()) < 0 ? interval : defaults.minRefresh())
                .build();
        List<String> hook = List.of();
        if (onChange != null) {
            try {
                hook = CommandWords.split(onChange);
            } catch (IllegalArgumentException e) {
                throw new ParameterException(spec.commandLine(), "--on-change: " + e.getMessage());
            }
        }
        return StapleConfig.of(sources)
                .withFiles(new CertificateFiles(null, null, deleteExtension, issuersChainPath, null))
                .withOcsp(new OcspConfig(startupWait, settings))
                .withHaproxySocket(haproxySocket)
                .withOnChange(hook)
                .withOnChangeTimeout(onChangeTimeout)
                .withPushTimeout(pushTimeout)
                .withAdminHttp(adminHttp == null ? null : new AdminHttpConfig(adminHttp, true, readyMinValidity))
                .withLogLevel(logLevel)
                .withRescan(rescan)
                .withFleet(fleetConfig == null ? null : ConfigLoader.loadStapleFleet(fleetConfig));
    }

    static final class DurationConverter implements ITypeConverter<Duration> {
        @Override
        public Duration convert(String value) {
            return Durations.parse(value);
        }
    }

    static final class HostPortConverter implements ITypeConverter<HostPort> {
        @Override
        public HostPort convert(String value) {
            return HostPort.parse(value);
        }
    }
}
