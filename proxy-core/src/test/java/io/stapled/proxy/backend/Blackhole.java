package io.stapled.proxy.backend;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;

import io.stapled.config.HostPort;

/**
 * A loopback port whose connects hang: a listener with a backlog of one that never accepts, its
 * queue filled up front, so Linux drops further SYNs and a connect can only time out.
 */
public final class Blackhole implements AutoCloseable {
    private final ServerSocket listener;
    private final List<Socket> fillers = new ArrayList<>();

    public Blackhole() throws IOException {
        listener = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        for (int i = 0; i < 2; i++) {
            Socket s = new Socket();
            s.connect(new InetSocketAddress(listener.getInetAddress(), listener.getLocalPort()), 1_000);
            fillers.add(s);
        }
    }

    public HostPort hostPort() {
        return new HostPort("127.0.0.1", listener.getLocalPort());
    }

    @Override
    public void close() throws IOException {
        for (Socket s : fillers) {
            s.close();
        }
        listener.close();
    }
}
