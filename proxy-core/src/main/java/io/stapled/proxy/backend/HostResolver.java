package io.stapled.proxy.backend;

import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * Looks a server's host name up: the JDK's resolver ({@link #SYSTEM}) in production, another in tests.
 * Called off the event loops only (it may block).
 */
@FunctionalInterface
public interface HostResolver {
    HostResolver SYSTEM = InetAddress::getAllByName;

    InetAddress[] resolve(String host) throws UnknownHostException;
}
