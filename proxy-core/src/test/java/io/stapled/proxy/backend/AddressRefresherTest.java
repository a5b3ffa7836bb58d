package io.stapled.proxy.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import io.netty.channel.socket.nio.NioSocketChannel;
import io.stapled.config.BackendConfig;
import io.stapled.config.BackendConfig.Balance;
import io.stapled.config.BackendConfig.ServerConfig;
import io.stapled.config.HostPort;
import io.stapled.testing.EventLoopGroupExtension;
import io.stapled.testkit.Poll;

/**
 * Re-resolution of a server's host name through an injected resolver (the seam: the JDK's resolver
 * cannot be told what to answer): the server follows a changed answer to a second real listener on
 * 127.0.0.2, keeps its last good address when a lookup fails, and {@code 0s} resolves only at start.
 */
@Timeout(30)
class AddressRefresherTest {
    @RegisterExtension
    static final EventLoopGroupExtension loops = new EventLoopGroupExtension(1);

    private static BackendPool pool(int port, Duration interval, BackendConfig.ResolvePrefer prefer,
            HostResolver resolver) {
        BackendConfig c = new BackendConfig("app", Balance.ROUNDROBIN,
                List.of(new ServerConfig("s1", new HostPort("app.internal", port), 1)), null, Duration.ofSeconds(1),
                Duration.ofSeconds(5), 4, Duration.ofSeconds(30), null, null, null, interval, prefer);
        return new BackendPool(c, resolver);
    }

    /** Connects where the server's address points and reads the listener's greeting. */
    private static String greeting(BackendServer s) throws Exception {
        try (Socket socket = new Socket()) {
            socket.connect(s.address(), 2000);
            InputStream in = socket.getInputStream();
            return new String(in.readNBytes(2), StandardCharsets.US_ASCII);
        }
    }

    private static Thread greeter(ServerSocket listener, String text) {
        Thread t = new Thread(() -> {
            while (!listener.isClosed()) {
                try (Socket c = listener.accept()) {
                    c.getOutputStream().write(text.getBytes(StandardCharsets.US_ASCII));
                } catch (Exception e) {
                    return;
                }
            }
        });
        t.setDaemon(true);
        t.start();
        return t;
    }

    @Test
    void theServerFollowsTheAnswerAndKeepsTheLastGoodOneWhenALookupFails() throws Exception {
        try (ServerSocket first = new ServerSocket(0, 50, InetAddress.getByName("127.0.0.1"));
                ServerSocket second = new ServerSocket(first.getLocalPort(), 50, InetAddress.getByName("127.0.0.2"))) {
            greeter(first, "s1");
            greeter(second, "s2");
            AtomicReference<Object> answer = new AtomicReference<>(InetAddress.getByName("127.0.0.1"));
            HostResolver resolver = host -> {
                Object a = answer.get();
                if (a instanceof UnknownHostException e) {
                    throw e;
                }
                return new InetAddress[] {(InetAddress) a};
            };
            BackendPool pool = pool(first.getLocalPort(), Duration.ofMillis(50), BackendConfig.ResolvePrefer.IPV4,
                    resolver);
            BackendServer s1 = pool.server("s1");
            assertEquals("127.0.0.1", s1.address().getAddress().getHostAddress(), "resolved at start");
            assertEquals("app.internal", s1.address().getHostString(), "the name is kept (TLS, logs)");
            assertEquals("s1", greeting(s1));
            pool.start(loops.group(), NioSocketChannel.class);
            try {
                answer.set(InetAddress.getByName("127.0.0.2"));
                Poll.until(Duration.ofSeconds(5), "moved to 127.0.0.2",
                        () -> "127.0.0.2".equals(s1.address().getAddress().getHostAddress()));
                assertEquals("s2", greeting(s1));
                answer.set(new UnknownHostException("app.internal: SERVFAIL"));
                Thread.sleep(300); // several failed lookups: each would have to keep the address
                assertEquals("127.0.0.2", s1.address().getAddress().getHostAddress());
                assertEquals("s2", greeting(s1));
            } finally {
                pool.close();
            }
        }
    }

    @Test
    void zeroResolvesOnceAndPreferPicksTheFamily() throws Exception {
        AtomicReference<InetAddress[]> answer = new AtomicReference<>(new InetAddress[] {
            InetAddress.getByName("127.0.0.3"), InetAddress.getByName("::1")});
        BackendPool v6 = pool(8080, Duration.ZERO, BackendConfig.ResolvePrefer.IPV6, host -> answer.get());
        assertEquals("::1", v6.server("s1").address().getAddress().getHostAddress().replace("0:0:0:0:0:0:0:1", "::1"));
        BackendPool v4 = pool(8080, Duration.ZERO, BackendConfig.ResolvePrefer.IPV4, host -> answer.get());
        assertEquals(new InetSocketAddress("127.0.0.3", 8080).getAddress(), v4.server("s1").address().getAddress());
        v4.start(loops.group(), NioSocketChannel.class);
        try {
            answer.set(new InetAddress[] {InetAddress.getByName("127.0.0.4")});
            Thread.sleep(200);
            assertEquals("127.0.0.3", v4.server("s1").address().getAddress().getHostAddress(), "0s: never again");
        } finally {
            v4.close();
            v6.close();
        }
    }
}
