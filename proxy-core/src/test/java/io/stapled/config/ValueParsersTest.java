package io.stapled.config;

import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The value syntaxes of the config: durations, sizes, host:port, CIDRs, and the unknown-key hint. */
class ValueParsersTest {

    @Test
    void durations() {
        assertEquals(Duration.ofMillis(500), Durations.parse("500ms"));
        assertEquals(Duration.ofSeconds(5), Durations.parse("5s"));
        assertEquals(Duration.ofMinutes(2), Durations.parse("2m"));
        assertEquals(Duration.ofHours(1), Durations.parse("1h"));
        assertEquals(Duration.ofDays(1), Durations.parse("1d"));
        assertEquals(Duration.ofSeconds(90), Durations.parse("1m30s"));
        assertEquals(Duration.ofSeconds(5), Durations.parse(" 5S "));
        assertEquals(Duration.ZERO, Durations.parse("0s"));
        for (String bad : List.of("5", "", "s", "5 s", "5sec", "-5s", "1.5s", "5s5", "99999999999999999999d", "4000d")) {
            assertThrows(IllegalArgumentException.class, () -> Durations.parse(bad), bad);
        }
        assertEquals("a duration needs a unit (ms, s, m, h or d), got \"30\"; write e.g. \"30s\"",
                assertThrows(IllegalArgumentException.class, () -> Durations.parse("30")).getMessage());
        assertEquals("1m30s", Durations.format(Duration.ofSeconds(90)));
        assertEquals("1d", Durations.format(Duration.ofDays(1)));
        assertEquals("500ms", Durations.format(Duration.ofMillis(500)));
        assertEquals("0s", Durations.format(Duration.ZERO));
    }

    @Test
    void sizes() {
        assertEquals(512, Sizes.parse("512"));
        assertEquals(16 * 1024, Sizes.parse("16k"));
        assertEquals(16 * 1024, Sizes.parse("16K"));
        assertEquals(16 * 1024, Sizes.parse("16kb"));
        assertEquals(1 << 20, Sizes.parse("1m"));
        assertEquals(1L << 30, Sizes.parse("1G"));
        for (String bad : List.of("", "k", "1.5k", "-1", "16 kilobytes", "1t", "9999999999999k")) {
            assertThrows(IllegalArgumentException.class, () -> Sizes.parse(bad), bad);
        }
        assertEquals("16k", Sizes.format(16384));
        assertEquals("1m", Sizes.format(1 << 20));
        assertEquals("1000", Sizes.format(1000));
    }

    @Test
    void hostPorts() {
        assertEquals(new HostPort("127.0.0.1", 8443), HostPort.parse("127.0.0.1:8443"));
        assertEquals(new HostPort("::1", 8443), HostPort.parse("[::1]:8443"));
        assertEquals(new HostPort("0.0.0.0", 8443), HostPort.parse(":8443"));
        assertEquals(new HostPort("localhost", 0), HostPort.parse("localhost:0"));
        assertEquals(new HostPort("backend-1.example.com", 80), HostPort.parse("backend-1.example.com:80"));
        assertEquals("[::1]:8443", HostPort.parse("[::1]:8443").toString());
        for (String bad : List.of("localhost", "localhost:", "localhost:http", "1.2.3.4:65536", "::1:80",
                "[::1:80", "[nope]:80", "bad_host!:80", ":", "host:-1")) {
            assertThrows(IllegalArgumentException.class, () -> HostPort.parse(bad), bad);
        }
    }

    @Test
    void loopbackIsDecidedWithoutDns() {
        for (String loop : List.of("127.0.0.1:1", "127.1.2.3:1", "[::1]:1", "localhost:1", "LOCALHOST:1",
                "[0:0:0:0:0:0:0:1]:1", "[::ffff:127.0.0.1]:1")) {
            assertTrue(HostPort.parse(loop).isLoopback(), loop);
        }
        for (String remote : List.of("0.0.0.0:1", ":1", "10.0.0.1:1", "[::]:1", "[::2]:1", "example.com:1",
                "localhost.example.com:1", "128.0.0.1:1")) {
            assertFalse(HostPort.parse(remote).isLoopback(), remote);
        }
    }

    @Test
    void cidrs() throws Exception {
        Cidr ten = Cidr.parse("10.0.0.0/8");
        assertTrue(ten.contains(InetAddress.getByName("10.200.3.4")));
        assertFalse(ten.contains(InetAddress.getByName("11.0.0.1")));
        assertFalse(ten.contains(InetAddress.getByName("::1")));
        assertEquals("10.0.0.0/8", ten.toString());
        assertEquals("10.0.0.0/8", Cidr.parse("10.1.2.3/8").toString());
        Cidr host = Cidr.parse("192.168.1.7");
        assertEquals(32, host.prefix());
        assertTrue(host.contains(InetAddress.getByName("192.168.1.7")));
        assertFalse(host.contains(InetAddress.getByName("192.168.1.8")));
        Cidr v6 = Cidr.parse("fd00::/8");
        assertTrue(v6.contains(InetAddress.getByName("fd12:3456::1")));
        assertFalse(v6.contains(InetAddress.getByName("fe80::1")));
        Cidr odd = Cidr.parse("172.16.0.0/12");
        assertTrue(odd.contains(InetAddress.getByName("172.31.255.255")));
        assertFalse(odd.contains(InetAddress.getByName("172.32.0.0")));
        assertTrue(Cidr.parse("0.0.0.0/0").contains(InetAddress.getByName("8.8.8.8")));
        assertEquals(Cidr.parse("10.0.0.0/8"), Cidr.parse("10.9.9.9/8"));
        for (String bad : List.of("10.0.0.0/33", "fd00::/129", "10.0.0/8", "example.com/8", "10.0.0.0/", "/8",
                "10.0.0.0/-1")) {
            assertThrows(IllegalArgumentException.class, () -> Cidr.parse(bad), bad);
        }
    }

    @Test
    void keyHints() {
        List<String> known = List.of("bind", "backend", "client_timeout", "max_connections");
        assertEquals("bind", KeyHints.closest("bnid", known));
        assertEquals("backend", KeyHints.closest("backnd", known));
        assertEquals("client_timeout", KeyHints.closest("client-timeout", known));
        assertEquals("max_connections", KeyHints.closest("max_conections", known));
        assertNull(KeyHints.closest("colour", known));
        assertEquals(1, KeyHints.distance("ab", "ba"));
        assertEquals(3, KeyHints.distance("kitten", "sitting"));
    }
}
