package io.stapled.proxy.http;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;

import org.junit.jupiter.api.Test;

class CidrBlockTest {

    @Test
    void matchesInsideThePrefixOnly() throws Exception {
        CidrBlock block = CidrBlock.parse("10.1.0.0/15");
        assertTrue(block.contains(InetAddress.getByName("10.1.255.3")));
        assertTrue(block.contains(InetAddress.getByName("10.0.0.1")));
        assertFalse(block.contains(InetAddress.getByName("10.2.0.0")));
        assertFalse(block.contains(InetAddress.getByName("::ffff:1.2.3.4")));
    }

    @Test
    void bareAddressesAndIpv6() throws Exception {
        assertTrue(CidrBlock.parse("192.0.2.7").contains(InetAddress.getByName("192.0.2.7")));
        assertFalse(CidrBlock.parse("192.0.2.7").contains(InetAddress.getByName("192.0.2.8")));
        assertTrue(CidrBlock.parse("2001:db8::/32").contains(InetAddress.getByName("2001:db8:ffff::1")));
        assertFalse(CidrBlock.parse("2001:db8::/32").contains(InetAddress.getByName("2001:db9::1")));
        assertTrue(CidrBlock.parse("0.0.0.0/0").contains(InetAddress.getByName("8.8.8.8")));
    }

    @Test
    void rejectsNamesAndBadPrefixes() {
        assertThrows(IllegalArgumentException.class, () -> CidrBlock.parse("example.com"));
        assertThrows(IllegalArgumentException.class, () -> CidrBlock.parse("10.0.0.0/33"));
        assertThrows(IllegalArgumentException.class, () -> CidrBlock.parse("10.0.0.0/x"));
    }
}
