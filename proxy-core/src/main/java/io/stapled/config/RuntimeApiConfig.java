package io.stapled.config;

import java.nio.file.Path;
import java.time.Duration;

/**
 * HAProxy-compatible runtime API.
 *
 * @param socket         unix socket path, or null
 * @param mode           file mode of the socket, e.g. "0600"
 * @param level          highest command level a connection gets: user, operator or admin
 * @param tcp            optional loopback TCP address, or null
 * @param idleTimeout    an idle connection is closed after this
 * @param maxPayload     largest {@code <<} payload in bytes
 * @param maxConnections concurrent connections over the socket and the TCP address together
 *                       (HAProxy's {@code stats maxconn}); more are closed at accept
 * @param exposeListeners an admin-level client of the unix socket may ask for the listening sockets
 *                        ({@code _getsocks}, HAProxy's {@code expose-fd listeners}), so that
 *                        {@code stapled run --takeover} can take them over without closing them
 */
public record RuntimeApiConfig(
        Path socket, String mode, String level, HostPort tcp, Duration idleTimeout, int maxPayload,
        int maxConnections, boolean exposeListeners) {

    /** HAProxy's {@code stats maxconn} default. */
    public static final int DEFAULT_MAX_CONNECTIONS = 10;

    public RuntimeApiConfig(Path socket, String mode, String level, HostPort tcp, Duration idleTimeout,
                            int maxPayload) {
        this(socket, mode, level, tcp, idleTimeout, maxPayload, DEFAULT_MAX_CONNECTIONS);
    }

    public RuntimeApiConfig(Path socket, String mode, String level, HostPort tcp, Duration idleTimeout,
                            int maxPayload, int maxConnections) {
        this(socket, mode, level, tcp, idleTimeout, maxPayload, maxConnections, false);
    }
}
