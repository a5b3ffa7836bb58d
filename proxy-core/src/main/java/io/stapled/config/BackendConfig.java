package io.stapled.config;

import java.time.Duration;
import java.util.List;

/**
 * A pool of servers.
 *
 * @param name            unique name
 * @param balance         how a server is chosen
 * @param servers         at least one
 * @param healthCheck     active check, or null for none (servers are then always up)
 * @param connectTimeout  time to establish a backend connection (502 / 503 after)
 * @param serverTimeout   time the server may take to answer or stay silent mid-response (504 after)
 * @param maxIdlePerServer idle keep-alive connections kept per server
 * @param idleTimeout     how long an idle pooled connection is kept
 * @param balanceHeader   the request header {@code balance: hdr(NAME)} hashes, null for other balances
 * @param queueTimeout    how long a request waits for a server at its {@code max_connections} (503 after)
 * @param cookie          cookie stickiness, or null for none
 * @param resolveInterval how often server host names are looked up again ({@code 0}: at start only)
 * @param resolvePrefer   the address family taken when a name has both
 */
public record BackendConfig(
        String name,
        Balance balance,
        List<ServerConfig> servers,
        HealthCheckConfig healthCheck,
        Duration connectTimeout,
        Duration serverTimeout,
        int maxIdlePerServer,
        Duration idleTimeout,
        String balanceHeader,
        Duration queueTimeout,
        CookieConfig cookie,
        Duration resolveInterval,
        ResolvePrefer resolvePrefer) {

    public BackendConfig {
        servers = List.copyOf(servers);
        queueTimeout = queueTimeout == null ? connectTimeout : queueTimeout;
        resolveInterval = resolveInterval == null ? DEFAULT_RESOLVE_INTERVAL : resolveInterval;
        resolvePrefer = resolvePrefer == null ? ResolvePrefer.IPV4 : resolvePrefer;
    }

    /** A backend without the options of issue 13 (balance by header, queue, cookie, re-resolution). */
    public BackendConfig(String name, Balance balance, List<ServerConfig> servers, HealthCheckConfig healthCheck,
            Duration connectTimeout, Duration serverTimeout, int maxIdlePerServer, Duration idleTimeout) {
        this(name, balance, servers, healthCheck, connectTimeout, serverTimeout, maxIdlePerServer, idleTimeout,
                null, null, null, null, null);
    }

    public BackendConfig withBalance(Balance balance) {
        return new BackendConfig(name, balance, servers, healthCheck, connectTimeout, serverTimeout,
                maxIdlePerServer, idleTimeout, balanceHeader, queueTimeout, cookie, resolveInterval, resolvePrefer);
    }

    public BackendConfig withServers(List<ServerConfig> servers) {
        return new BackendConfig(name, balance, servers, healthCheck, connectTimeout, serverTimeout,
                maxIdlePerServer, idleTimeout, balanceHeader, queueTimeout, cookie, resolveInterval, resolvePrefer);
    }

    public BackendConfig withHealthCheck(HealthCheckConfig healthCheck) {
        return new BackendConfig(name, balance, servers, healthCheck, connectTimeout, serverTimeout,
                maxIdlePerServer, idleTimeout, balanceHeader, queueTimeout, cookie, resolveInterval, resolvePrefer);
    }

    public BackendConfig withConnectTimeout(Duration connectTimeout) {
        return new BackendConfig(name, balance, servers, healthCheck, connectTimeout, serverTimeout,
                maxIdlePerServer, idleTimeout, balanceHeader, queueTimeout, cookie, resolveInterval, resolvePrefer);
    }

    public BackendConfig withServerTimeout(Duration serverTimeout) {
        return new BackendConfig(name, balance, servers, healthCheck, connectTimeout, serverTimeout,
                maxIdlePerServer, idleTimeout, balanceHeader, queueTimeout, cookie, resolveInterval, resolvePrefer);
    }

    public BackendConfig withMaxIdlePerServer(int maxIdlePerServer) {
        return new BackendConfig(name, balance, servers, healthCheck, connectTimeout, serverTimeout,
                maxIdlePerServer, idleTimeout, balanceHeader, queueTimeout, cookie, resolveInterval, resolvePrefer);
    }

    public BackendConfig withIdleTimeout(Duration idleTimeout) {
        return new BackendConfig(name, balance, servers, healthCheck, connectTimeout, serverTimeout,
                maxIdlePerServer, idleTimeout, balanceHeader, queueTimeout, cookie, resolveInterval, resolvePrefer);
    }

    /**
     * How a server is picked: HAProxy's {@code roundrobin}, {@code leastconn}, {@code source}, {@code random}
     * (power of two choices), {@code uri} (hash of the path) and {@code hdr(NAME)} ({@link #balanceHeader}).
     */
    public enum Balance { ROUNDROBIN, LEASTCONN, SOURCE, RANDOM, URI, HDR }

    /**
     * One server: {@code name}, {@code address}, {@code weight} (0 to 256, 0 takes no new traffic),
     * {@code sendProxy}: the PROXY protocol header each connection to it starts with, or null for none;
     * {@code tls} for TLS to it (null: plain TCP); the HTTP version spoken to it ({@code proto},
     * HTTP/1.1 unless told); {@code maxConnections} requests or relays at once (0: no limit) and
     * {@code maxQueue} waiting for one beyond those ({@link #NO_QUEUE_LIMIT}: no limit); {@code cookie}, the
     * value of the backend's stickiness cookie naming it (its name unless told).
     */
    public record ServerConfig(String name, HostPort address, int weight, SendProxy sendProxy,
                               BackendTlsConfig tls, Protocol proto, int maxConnections, int maxQueue,
                               String cookie) {
        /** {@code max_queue} left out: as HAProxy, the queue is bounded by the queue timeout only. */
        public static final int NO_QUEUE_LIMIT = Integer.MAX_VALUE;

        public ServerConfig {
            proto = proto == null ? Protocol.H1 : proto;
            cookie = cookie == null ? name : cookie;
        }

        /** A server without a connection limit. */
        public ServerConfig(String name, HostPort address, int weight, SendProxy sendProxy, BackendTlsConfig tls,
                Protocol proto) {
            this(name, address, weight, sendProxy, tls, proto, 0, NO_QUEUE_LIMIT, null);
        }

        /** A plain-TCP HTTP/1.1 server without a PROXY header. */
        public ServerConfig(String name, HostPort address, int weight) {
            this(name, address, weight, null, null, Protocol.H1);
        }

        public ServerConfig withSendProxy(SendProxy sendProxy) {
            return new ServerConfig(name, address, weight, sendProxy, tls, proto, maxConnections, maxQueue, cookie);
        }

        public ServerConfig withTls(BackendTlsConfig tls) {
            return new ServerConfig(name, address, weight, sendProxy, tls, proto, maxConnections, maxQueue, cookie);
        }

        public ServerConfig withProto(Protocol proto) {
            return new ServerConfig(name, address, weight, sendProxy, tls, proto, maxConnections, maxQueue, cookie);
        }
    }

    /** {@code resolve_interval} left out. */
    public static final Duration DEFAULT_RESOLVE_INTERVAL = Duration.ofSeconds(30);

    /** {@code resolve_prefer}: HAProxy's {@code resolve-prefer ipv4|ipv6}. */
    public enum ResolvePrefer { IPV4, IPV6 }

    /**
     * Cookie stickiness (HAProxy's {@code cookie NAME insert|rewrite|prefix [httponly] [secure] [nocache]}):
     * a request whose cookie {@code name} names an available server goes to it.
     */
    public record CookieConfig(String name, CookieMode mode, boolean httpOnly, boolean secure, boolean noCache) { }

    /**
     * {@code insert}: the proxy sets the cookie (and strips it from requests, HAProxy's {@code indirect});
     * {@code rewrite}: the server sets it and the proxy rewrites its value; {@code prefix}: the proxy
     * prefixes the server's own cookie value with {@code VALUE~} and strips that from requests.
     */
    public enum CookieMode { INSERT, REWRITE, PREFIX }

    /** {@code send_proxy}: HAProxy's {@code send-proxy} (v1, text) and {@code send-proxy-v2} (binary, with TLVs). */
    public enum SendProxy { V1, V2 }

    /**
     * What an HTTP frontend speaks to a server: HTTP/1.1, or HTTP/2 ({@code h2}: cleartext with prior
     * knowledge, RFC 9113 section 3.3, on multiplexed connections). A TCP frontend relays bytes whatever it says.
     */
    public enum Protocol { H1, H2 }

    /**
     * Active health check.
     *
     * @param type          TCP connect, or HTTP {@code method} of {@code path} expecting {@code expectStatus}
     * @param rise          consecutive successes to mark a server up
     * @param fall          consecutive failures to mark it down
     * @param method        the HTTP check's method (GET unless told)
     * @param host          the HTTP check's Host header, or null for the server's address
     * @param expectBody    a string the first 16 KiB of the HTTP check's response body must contain, or null
     */
    public record HealthCheckConfig(
            Type type, String path, int expectStatus, Duration interval, Duration timeout, int rise, int fall,
            String method, String host, String expectBody) {
        public enum Type { TCP, HTTP }

        public HealthCheckConfig {
            method = method == null ? "GET" : method;
        }

        /** A check sending GET with the server's address as Host and looking at the status only. */
        public HealthCheckConfig(Type type, String path, int expectStatus, Duration interval, Duration timeout,
                int rise, int fall) {
            this(type, path, expectStatus, interval, timeout, rise, fall, "GET", null, null);
        }
    }
}
