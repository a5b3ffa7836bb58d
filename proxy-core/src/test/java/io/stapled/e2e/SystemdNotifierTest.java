package io.stapled.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.Map;

import org.junit.jupiter.api.Test;

import io.stapled.server.StartupException;
import io.stapled.server.SystemdNotifier;
import io.stapled.testkit.Poll;

/** {@link SystemdNotifier} against a datagram socket standing for systemd, in this JVM. */
class SystemdNotifierTest {
    private static final String ABSTRACT = "stapled-notify-test-" + ProcessHandle.current().pid();

    @Test
    void abstractSocketGetsReloadingThenReadyWithTheMonotonicClock() {
        try (NotifyReceiver systemd = new NotifyReceiver("\0" + ABSTRACT, m -> { });
             SystemdNotifier notifier = SystemdNotifier.fromEnvironment(Map.of("NOTIFY_SOCKET", "@" + ABSTRACT))) {
            assertTrue(notifier.enabled());
            long before = System.nanoTime() / 1000;
            notifier.reloading();
            notifier.ready("reloaded");
            Poll.until(Duration.ofSeconds(5), "two messages", () -> systemd.messages.size() == 2);
            String reloading = systemd.messages.get(0);
            assertTrue(reloading.startsWith("RELOADING=1\nMONOTONIC_USEC="), reloading);
            long usec = Long.parseLong(reloading.substring(reloading.indexOf('=', 12) + 1));
            assertTrue(usec >= before && usec <= System.nanoTime() / 1000, reloading);
            assertEquals("READY=1\nSTATUS=reloaded", systemd.messages.get(1));
        }
    }

    @Test
    void watchdogOnlyForThisProcessAndMalformedValuesAreStartupErrors() {
        String sock = "@" + ABSTRACT + "-wd";
        try (SystemdNotifier other = SystemdNotifier.fromEnvironment(Map.of("NOTIFY_SOCKET", sock,
                "WATCHDOG_USEC", "2000000", "WATCHDOG_PID", "1"));
             SystemdNotifier mine = SystemdNotifier.fromEnvironment(Map.of("NOTIFY_SOCKET", sock,
                "WATCHDOG_USEC", "2000000", "WATCHDOG_PID", Long.toString(ProcessHandle.current().pid())))) {
            assertNull(other.watchdogInterval(), "WATCHDOG_PID names another process");
            assertEquals(Duration.ofSeconds(1), mine.watchdogInterval());
        }
        StartupException e = assertThrows(StartupException.class, () -> SystemdNotifier.fromEnvironment(
                Map.of("NOTIFY_SOCKET", sock, "WATCHDOG_USEC", "soon")));
        assertTrue(e.getMessage().contains("WATCHDOG_USEC"), e.getMessage());
        e = assertThrows(StartupException.class, () -> SystemdNotifier.fromEnvironment(Map.of("NOTIFY_SOCKET", "relative")));
        assertTrue(e.getMessage().contains("NOTIFY_SOCKET"), e.getMessage());
        try (SystemdNotifier none = SystemdNotifier.fromEnvironment(Map.of())) {
            assertFalse(none.enabled());
            none.ready("nothing happens");
        }
    }
}
