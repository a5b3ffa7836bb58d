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
 */
public record BackendConfig(
        String name,
        Balance balance,
        List<ServerConfig> servers,
        HealthCheckConfig healthCheck,
        Duration connectTimeout,
        Duration serverTimeout,
        int maxIdlePerServer,
        Duration idleTimeout) {

    public BackendConfig {
        servers = List.copyOf(servers);
    }

    public BackendConfig withBalance(Balance balance) {
        return new BackendConfig(name, balance, servers, healthCheck, connectTimeout, serverTimeout,
                maxIdlePerServer, idleTimeout);
    }

    public BackendConfig withServers(List<ServerConfig> servers) {
        return new BackendConfig(name, balance, servers, healthCheck, connectTimeout, serverTimeout,
                maxIdlePerServer, idleTimeout);
    }

    public BackendConfig withHealthCheck(HealthCheckConfig healthCheck) {
        return new BackendConfig(name, balance, servers, healthCheck, connectTimeout, serverTimeout,
                maxIdlePerServer, idleTimeout);
    }

    public BackendConfig withConnectTimeout(Duration connectTimeout) {
        return new BackendConfig(name, balance, servers, healthCheck, connectTimeout, serverTimeout,
                maxIdlePerServer, idleTimeout);
    }

    public BackendConfig withServerTimeout(Duration serverTimeout) {
        return new BackendConfig(name, balance, servers, healthCheck, connectTimeout, serverTimeout,
                maxIdlePerServer, idleTimeout);
    }

    public BackendConfig withMaxIdlePerServer(int maxIdlePerServer) {
        return new BackendConfig(name, balance, servers, healthCheck, connectTimeout, serverTimeout,
                maxIdlePerServer, idleTimeout);
    }

    public BackendConfig withIdleTimeout(Duration idleTimeout) {
        return new BackendConfig(name, balance, servers, healthCheck, connectTimeout, serverTimeout,
                maxIdlePerServer, idleTimeout);
    }

    public enum Balance { ROUNDROBIN, LEASTCONN, SOURCE }

    /**
     * One server: {@code name}, {@code address}, {@code weight} (0 to 256, 0 takes no new traffic), and
     * {@code sendProxy}: the PROXY protocol header each connection to it starts with, or null for none;
     * {@code tls} for TLS to it (null: plain TCP).
     */
    public record ServerConfig(String name, HostPort address, int weight, SendProxy sendProxy,
                               BackendTlsConfig tls) {
        /** A plain-TCP server without a PROXY header. */
        public ServerConfig(String name, HostPort address, int weight) {
            this(name, address, weight, null, null);
        }

        public ServerConfig withSendProxy(SendProxy sendProxy) {
            return new ServerConfig(name, address, weight, sendProxy, tls);
        }

        public ServerConfig withTls(BackendTlsConfig tls) {
            return new ServerConfig(name, address, weight, sendProxy, tls);
        }
    }

    /** {@code send_proxy}: HAProxy's {@code send-proxy} (v1, text) and {@code send-proxy-v2} (binary, with TLVs). */
    public enum SendProxy { V1, V2 }

    /**
     * Active health check.
     *
     * @param type          TCP connect, or HTTP GET of {@code path} expecting {@code expectStatus}
     * @param rise          consecutive successes to mark a server up
     * @param fall          consecutive failures to mark it down
     */
    public record HealthCheckConfig(
            Type type, String path, int expectStatus, Duration interval, Duration timeout, int rise, int fall) {
        public enum Type { TCP, HTTP }
    }
}
