package io.stapled.server;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.util.Map;

import org.junit.jupiter.api.Test;

/**
 * The parts of socket activation a real launcher does not reach ({@code SystemdTest} runs the rest
 * through systemd-socket-activate): malformed variables, variables meant for another process, and the
 * address rule.
 */
class ListenerSocketsTest {
    @Test
    void variablesForAnotherProcessOrNoneMeanBindEverything() {
        assertTrue(ListenerSockets.fromSystemd(Map.of()).isEmpty());
        assertTrue(ListenerSockets.fromSystemd(Map.of("LISTEN_FDS", "2", "LISTEN_PID", "1")).isEmpty(),
                "LISTEN_PID names another process: ignored, as sd_listen_fds does");
        assertTrue(ListenerSockets.fromSystemd(Map.of("LISTEN_FDS", "0",
                "LISTEN_PID", Long.toString(ProcessHandle.current().pid()))).isEmpty());
    }

    @Test
    void malformedCountsAreStartupErrors() {
        StartupException e = assertThrows(StartupException.class,
                () -> ListenerSockets.fromSystemd(Map.of("LISTEN_FDS", "three")));
        assertTrue(e.getMessage().startsWith("LISTEN_FDS: expected a number"), e.getMessage());
        e = assertThrows(StartupException.class, () -> ListenerSockets.fromSystemd(Map.of("LISTEN_FDS", "-1")));
        assertTrue(e.getMessage().contains("out of range"), e.getMessage());
    }

    @Test
    void aWildcardMatchesAWildcardAndPortsMustBeEqual() {
        InetSocketAddress any4 = new InetSocketAddress("0.0.0.0", 443);
        InetSocketAddress any6 = new InetSocketAddress("::", 443);
        assertTrue(ListenerSockets.sameAddress(any4, any6));
        assertTrue(ListenerSockets.sameAddress(new InetSocketAddress("127.0.0.1", 443), new InetSocketAddress("127.0.0.1", 443)));
        assertFalse(ListenerSockets.sameAddress(any4, new InetSocketAddress("127.0.0.1", 443)));
        assertFalse(ListenerSockets.sameAddress(any4, new InetSocketAddress("0.0.0.0", 8443)));
    }
}
