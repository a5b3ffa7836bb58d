package io.stapled.config;

import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;

/** Binds the {@code fleet:} section (see {@link FleetConfig}). */
final class FleetBinder {
    /** Shorter leases make a slow responder look like a dead member, and a second fetch starts. */
    static final Duration MIN_LEASE = Duration.ofMillis(500);
    static final Duration MAX_LEASE = Duration.ofMinutes(10);

    private FleetBinder() {
    }

    static FleetConfig bind(YamlValue value) {
        if (value == null || value.isNull()) {
            return null;
        }
        YamlMap m = value.map();
        YamlValue redisValue = m.get("redis");
        YamlValue sentinelValue = m.get("sentinel");
        if (redisValue == null && sentinelValue == null) {
            m.error("redis", "missing required key: give redis (redis://host:port/db) or sentinel (master and nodes)");
        } else if (redisValue != null && sentinelValue != null) {
            sentinelValue.error("give redis or sentinel, not both");
        }
        URI redis = redisValue == null || sentinelValue != null ? null : redisUrl(redisValue);
        FleetConfig.Sentinel sentinel = sentinelValue == null || redisValue != null ? null : sentinel(sentinelValue);
        String username = m.string("username", null);
        YamlValue passwordValue = m.get("password");
        String password = passwordValue == null ? null : passwordValue.string();
        YamlValue passwordFileValue = m.get("password_file");
        Path passwordFile = passwordFileValue == null ? null : passwordFileValue.existingFile();
        if (passwordValue != null && passwordFileValue != null) {
            m.error("password_file", "give password or password_file, not both");
        }
        if (redis != null && redis.getUserInfo() != null) {
            redisValue.error("put credentials in fleet.username and fleet.password (or password_file), not in the URL");
        }
        String keyPrefix = m.string("key_prefix", FleetConfig.DEFAULT_KEY_PREFIX);
        String nodeName = m.string("node_name", null);
        YamlValue leaseValue = m.get("lease");
        Duration lease = m.duration("lease", FleetConfig.DEFAULT_LEASE);
        if (leaseValue != null && (lease.compareTo(MIN_LEASE) < 0 || lease.compareTo(MAX_LEASE) > 0)) {
            leaseValue.error("lease must be between " + Durations.format(MIN_LEASE) + " and "
                    + Durations.format(MAX_LEASE) + ", got " + Durations.format(lease));
        }
        YamlValue ticketKeyValue = m.get("ticket_key_file");
        Path ticketKeyFile = ticketKeyValue == null ? null : ticketKeyValue.existingFile();
        YamlValue caValue = m.get("ca_file");
        Path caFile = caValue == null ? null : caValue.existingFile();
        if (caValue != null && sentinelValue != null) {
            caValue.error("ca_file is for rediss:// (TLS) only; TLS through Sentinel is not supported");
        } else if (caValue != null && redis != null && !redis.getScheme().equalsIgnoreCase("rediss")) {
            caValue.error("ca_file is for rediss:// (TLS) only; fleet.redis is " + redis.getScheme() + "://");
        } else if (caFile != null && caValue.context().checkFiles() && java.nio.file.Files.isRegularFile(caFile)) {
            checkCertificates(caValue, caFile);
        }
        m.finish();
        if ((redis == null && sentinel == null) || !m.isValid()) {
            return null;
        }
        ConfigOrigin origin = redis != null ? redisValue.origin() : sentinelValue.origin();
        ConfigOrigin passwordOrigin = passwordValue != null ? passwordValue.origin()
                : passwordFileValue != null ? passwordFileValue.origin() : origin;
        String node = nodeName != null ? nodeName : defaultNodeName();
        ConfigOrigin ticketOrigin = ticketKeyValue == null ? null : ticketKeyValue.origin();
        if (sentinel != null) {
            HostPort first = sentinel.nodes().get(0);
            return new FleetConfig(first.host(), first.port(), sentinel.database(), false, username, password,
                    passwordFile, keyPrefix, node, lease, origin, passwordOrigin, ticketKeyFile, ticketOrigin, null,
                    sentinel);
        }
        int port = redis.getPort() < 0 ? FleetConfig.DEFAULT_PORT : redis.getPort();
        return new FleetConfig(host(redis), port, database(redis), redis.getScheme().equalsIgnoreCase("rediss"),
                username, password, passwordFile, keyPrefix, node, lease, origin, passwordOrigin, ticketKeyFile,
                ticketOrigin, caFile, null);
    }

    /** {@code fleet.sentinel: {master, nodes: [host:port, ...], database, username, password}}; the
     * username and password are the sentinels' own (the master's are fleet.username/password). */
    private static FleetConfig.Sentinel sentinel(YamlValue v) {
        YamlMap s = v.map();
        if (s == null) {
            return null;
        }
        YamlValue masterValue = s.required("master");
        String master = masterValue == null ? null : masterValue.string();
        YamlValue nodesValue = s.required("nodes");
        java.util.List<HostPort> nodes = new java.util.ArrayList<>();
        if (nodesValue != null) {
            java.util.List<YamlValue> list = nodesValue.list("a list of host:port");
            if (list != null) {
                for (YamlValue n : list) {
                    String text = n.string();
                    HostPort hp = n.hostPort(false);
                    if (hp != null && text != null && text.strip().startsWith(":")) {
                        n.error("a sentinel needs a host, got " + n.describe());
                    } else if (hp != null) {
                        nodes.add(hp);
                    }
                }
                if (list.isEmpty()) {
                    nodesValue.error("sentinel.nodes needs at least one host:port");
                }
            }
        }
        int database = s.integer("database", 0, 0, 99_999);
        String username = s.string("username", null);
        String password = s.string("password", null);
        if (username != null && password == null) {
            s.error("username", "a sentinel username needs sentinel.password");
        }
        s.finish();
        if (master == null || nodes.isEmpty() || !s.isValid()) {
            return null;
        }
        return new FleetConfig.Sentinel(master, nodes, database, username, password);
    }

    /** The CA file must hold PEM certificates: said at its line (and by {@code stapled check}), not at connect time. */
    private static void checkCertificates(YamlValue v, Path file) {
        try (java.io.InputStream in = new java.io.ByteArrayInputStream(io.stapled.ocsp.RegularFiles.read(file, 1 << 20))) {
            if (java.security.cert.CertificateFactory.getInstance("X.509").generateCertificates(in).isEmpty()) {
                v.error(file + " holds no PEM certificate");
            }
        } catch (java.security.cert.CertificateException e) {
            v.error(file + " holds no PEM certificate (" + io.stapled.text.OneLine.oneLine(e) + ")");
        } catch (java.io.IOException e) {
            v.error("cannot read " + file + ": " + io.stapled.text.OneLine.oneLine(e));
        }
    }

    private static URI redisUrl(YamlValue v) {
        String text = v.string();
        if (text == null) {
            return null;
        }
        URI uri;
        try {
            uri = new URI(text.strip());
        } catch (URISyntaxException e) {
            v.error("not a valid URL: " + v.describe() + " (" + e.getReason() + ")");
            return null;
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("redis") && !scheme.equals("rediss")) {
            v.error("expected a redis:// or rediss:// URL, got " + v.describe());
            return null;
        }
        if (uri.getHost() == null) {
            v.error("URL has no host: " + v.describe());
            return null;
        }
        if (uri.getQuery() != null || uri.getFragment() != null) {
            v.error("a query or fragment is not understood here: " + v.describe());
            return null;
        }
        String path = uri.getPath();
        if (path != null && !path.isEmpty() && !path.equals("/") && !path.substring(1).matches("[0-9]{1,5}")) {
            v.error("the URL's path must be a database number like /0, got " + v.describe());
            return null;
        }
        return uri;
    }

    private static String host(URI uri) {
        String h = uri.getHost();
        return h.startsWith("[") && h.endsWith("]") ? h.substring(1, h.length() - 1) : h;
    }

    private static int database(URI uri) {
        String path = uri.getPath();
        return path == null || path.length() <= 1 ? 0 : Integer.parseInt(path.substring(1));
    }

    private static String defaultNodeName() {
        try {
            return InetAddress.getLocalHost().getHostName() + ":" + ProcessHandle.current().pid();
        } catch (UnknownHostException e) {
            return "pid-" + ProcessHandle.current().pid();
        }
    }
}
