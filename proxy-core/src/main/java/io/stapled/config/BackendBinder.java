package io.stapled.config;

import io.stapled.config.BackendConfig.Balance;
import io.stapled.config.BackendConfig.HealthCheckConfig;
import io.stapled.config.BackendConfig.ServerConfig;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Binds {@code backends:}: pools, their servers and health checks. */
final class BackendBinder {

    static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(5);
    static final Duration DEFAULT_SERVER_TIMEOUT = Duration.ofSeconds(30);
    // Above the concurrent exchanges of a busy event loop, so a keep-alive load never closes and
    // reopens backend connections after each response (HAProxy keeps every idle connection).
    static final int DEFAULT_MAX_IDLE_PER_SERVER = 256;
    static final Duration DEFAULT_IDLE_TIMEOUT = Duration.ofSeconds(60);
    static final int DEFAULT_WEIGHT = 1;
    static final int MAX_WEIGHT = 256;

    static final HealthCheckConfig DEFAULT_HEALTH_CHECK = new HealthCheckConfig(
            HealthCheckConfig.Type.TCP, null, 200, Duration.ofSeconds(2), Duration.ofSeconds(1), 2, 3);
    static final String DEFAULT_HEALTH_CHECK_PATH = "/";

    private static final Map<String, Balance> BALANCES =
            Choices.of("roundrobin", Balance.ROUNDROBIN, "leastconn", Balance.LEASTCONN, "source", Balance.SOURCE);
    private static final Map<String, BackendConfig.Protocol> PROTOCOLS =
            Choices.of("h1", BackendConfig.Protocol.H1, "h2", BackendConfig.Protocol.H2);
    private static final Map<String, HealthCheckConfig.Type> CHECK_TYPES =
            Choices.of("tcp", HealthCheckConfig.Type.TCP, "http", HealthCheckConfig.Type.HTTP);

    private final UniqueNames backendNames = new UniqueNames("backend");

    /** Names of the backends bound so far, for the frontends' references. */
    UniqueNames names() {
        return backendNames;
    }

    List<BackendConfig> bindAll(YamlValue value) {
        List<BackendConfig> backends = new ArrayList<>();
        if (value == null) {
            return backends;
        }
        List<YamlValue> items = value.list("a list of backends");
        if (items.isEmpty() && value.isList()) {
            value.error("needs at least one backend");
        }
        for (YamlValue item : items) {
            backends.add(bind(item));
        }
        return backends;
    }

    private BackendConfig bind(YamlValue value) {
        YamlMap m = value.map();
        String name = backendNames.read(m);
        Balance balance = m.choice("balance", BALANCES, Balance.ROUNDROBIN);
        YamlValue serversValue = m.required("servers");
        YamlValue checkValue = m.get("health_check");
        HealthCheckConfig check = checkValue == null ? null : bindHealthCheck(checkValue);
        List<ServerConfig> servers = bindServers(serversValue,
                check != null && check.type() == HealthCheckConfig.Type.HTTP);
        Duration connectTimeout = m.duration("connect_timeout", DEFAULT_CONNECT_TIMEOUT);
        Duration serverTimeout = m.duration("server_timeout", DEFAULT_SERVER_TIMEOUT);
        int maxIdle = m.integer("max_idle_per_server", DEFAULT_MAX_IDLE_PER_SERVER, 0, 10_000);
        Duration idleTimeout = m.duration("idle_timeout", DEFAULT_IDLE_TIMEOUT);
        m.finish();
        return new BackendConfig(name, balance, servers, check, connectTimeout, serverTimeout, maxIdle,
                idleTimeout);
    }

    private static List<ServerConfig> bindServers(YamlValue value, boolean httpCheck) {
        List<ServerConfig> servers = new ArrayList<>();
        if (value == null) {
            return servers;
        }
        List<YamlValue> items = value.list("a list of servers");
        if (items.isEmpty() && value.isList()) {
            value.error("needs at least one server");
        }
        UniqueNames serverNames = new UniqueNames("server");
        for (YamlValue item : items) {
            YamlMap m = item.map();
            String name = serverNames.read(m);
            YamlValue addressValue = m.required("address");
            HostPort address = addressValue == null ? null : addressValue.hostPort(false);
            int weight = m.integer("weight", DEFAULT_WEIGHT, 0, MAX_WEIGHT);
            BackendConfig.Protocol proto = m.choice("proto", PROTOCOLS, BackendConfig.Protocol.H1);
            if (proto == BackendConfig.Protocol.H2 && httpCheck) {
                // The check is an HTTP/1.1 GET, which a server speaking only HTTP/2 (a gRPC server)
                // answers by closing: it would be marked down while it works.
                m.error("proto", "the backend's http health check speaks HTTP/1.1, which an h2 server may"
                        + " not; use health_check type tcp for a backend with h2 servers");
            }
            m.finish();
            servers.add(new ServerConfig(name, address, weight, proto));
        }
        return servers;
    }

    private static HealthCheckConfig bindHealthCheck(YamlValue value) {
        HealthCheckConfig d = DEFAULT_HEALTH_CHECK;
        YamlMap m = value.map();
        HealthCheckConfig.Type type = m.choice("type", CHECK_TYPES, d.type());
        String path = null;
        int expectStatus = d.expectStatus();
        if (type == HealthCheckConfig.Type.HTTP) {
            YamlValue pathValue = m.get("path");
            path = pathValue == null ? DEFAULT_HEALTH_CHECK_PATH : pathValue.string();
            if (path != null && (!path.startsWith("/") || !path.chars().allMatch(c -> c > 0x20 && c < 0x7f))) {
                pathValue.error("an HTTP health check path starts with '/' and has no spaces, got "
                        + pathValue.describe());
            }
            expectStatus = m.integer("expect_status", d.expectStatus(), 100, 599);
        } else {
            for (String httpOnly : List.of("path", "expect_status")) {
                if (m.has(httpOnly)) {
                    m.error(httpOnly, httpOnly + " is only used by health checks of type http");
                }
            }
        }
        Duration interval = m.duration("interval", d.interval());
        Duration timeout = m.duration("timeout", d.timeout());
        int rise = m.integer("rise", d.rise(), 1, 100);
        int fall = m.integer("fall", d.fall(), 1, 100);
        m.finish();
        return new HealthCheckConfig(type, path, expectStatus, interval, timeout, rise, fall);
    }
}
