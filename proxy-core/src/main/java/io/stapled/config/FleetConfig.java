package io.stapled.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * The {@code fleet:} section: the Redis store a fleet of stapled instances shares its staples through
 * (see docs/FLEET.md). Absent means no fleet.
 *
 * @param host          Redis host, from {@code redis: redis://host:port/db}
 * @param port          Redis port (6379 when the URL names none)
 * @param database      the logical database, the URL's path ({@code /0} when none)
 * @param tls           {@code rediss://}: TLS to Redis, verified against the JVM's trust store
 * @param username      ACL user, or null for the default user
 * @param password      the password written in the config, or null
 * @param passwordFile  a file holding the password (read at start-up), or null
 * @param keyPrefix     prepended to every key and channel, so fleets can share one Redis
 * @param nodeName      this instance's name in leases and {@code show fleet}
 * @param lease         how long a fetch lease is held at most: a member that dies holding one is
 *                      replaced after this
 * @param origin        where {@code redis} was written, for errors found when connecting
 * @param passwordOrigin where the password (or its file) was written, or {@link #origin} when none
 * @param ticketKeyFile  the fleet key (32 bytes, base64) that seals shared session-ticket keys in the
 *                       store, or null: ticket keys are then not shared
 * @param ticketKeyOrigin where {@code ticket_key_file} was written, or null
 * @param caFile         for {@code rediss://}: the PEM CA certificates Redis's certificate must chain to,
 *                       or null for the JVM's trust store
 * @param sentinel       {@code fleet.sentinel}: the master is found through Redis Sentinel (then {@code host}
 *                       and {@code port} are the first sentinel's, for messages only), or null for {@code redis}
 */
public record FleetConfig(
        String host, int port, int database, boolean tls, String username, String password, Path passwordFile,
        String keyPrefix, String nodeName, Duration lease, ConfigOrigin origin, ConfigOrigin passwordOrigin,
        Path ticketKeyFile, ConfigOrigin ticketKeyOrigin, Path caFile, Sentinel sentinel) {

    public static final int DEFAULT_PORT = 6379;
    public static final String DEFAULT_KEY_PREFIX = "stapled:";
    public static final Duration DEFAULT_LEASE = Duration.ofSeconds(30);

    public FleetConfig {
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(keyPrefix, "keyPrefix");
        Objects.requireNonNull(nodeName, "nodeName");
        Objects.requireNonNull(lease, "lease");
    }

    /**
     * {@code fleet.sentinel}: the master's name, the sentinels ({@code host:port}), the database on the master, and the credentials the
     * sentinels ask for (null when they ask none; the master's are {@code fleet.username/password}).
     */
    public record Sentinel(String master, List<HostPort> nodes, int database, String username, String password) {
        public Sentinel {
            Objects.requireNonNull(master, "master");
            nodes = List.copyOf(nodes);
        }
    }

    /**
     * {@code redis://host:port/db} or {@code rediss://...}, without credentials, for messages; with Sentinel
     * {@code sentinel://master@host:port,host:port/db}.
     */
    public String url() {
        if (sentinel != null) {
            return "sentinel://" + sentinel.master() + "@" + sentinel.nodes().stream().map(HostPort::toString)
                    .collect(java.util.stream.Collectors.joining(",")) + "/" + database;
        }
        String h = host.indexOf(':') >= 0 ? "[" + host + "]" : host;
        return (tls ? "rediss://" : "redis://") + h + ":" + port + "/" + database;
    }

    public FleetConfig withLease(Duration v) {
        return new FleetConfig(host, port, database, tls, username, password, passwordFile, keyPrefix, nodeName, v,
                origin, passwordOrigin, ticketKeyFile, ticketKeyOrigin, caFile, sentinel);
    }

    public FleetConfig withNodeName(String v) {
        return new FleetConfig(host, port, database, tls, username, password, passwordFile, keyPrefix, v, lease,
                origin, passwordOrigin, ticketKeyFile, ticketKeyOrigin, caFile, sentinel);
    }
}
