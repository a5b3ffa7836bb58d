package io.stapled.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;

import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpVersion;
import io.stapled.net.Transport;
import io.stapled.proxy.backend.BackendPool;
import io.stapled.testing.LoopbackServer;
import io.stapled.testing.StapledServerExtension;
import io.stapled.testing.TrustingSslContext;
import io.stapled.testkit.Poll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@code set server ... addr}, {@code add server}, {@code del server} and {@code enable/disable health} on
 * the whole proxy: real HTTPS clients through the real server to real keep-alive backends that answer
 * with their own name, the runtime API over its unix socket.
 */
@Timeout(60)
class DynamicServersTest {
    private static final EventLoopGroup GROUP = Transport.nio().newGroup(1, "dyn-backends");
    private final Named b1 = new Named("b1");
    private final Named b2 = new Named("b2");
    private final Named b3 = new Named("b3");
    private final LoopbackServer echo1 = LoopbackServer.echo(GROUP);
    private final LoopbackServer echo2 = LoopbackServer.echo(GROUP);

    @RegisterExtension
    final StapledServerExtension stapled = StapledServerExtension.fromYaml("""
            global: { workers: 1 }
            frontends:
              - name: https
                bind: 127.0.0.1:0
                mode: http
                backend: app
                certificates:
                  - crt: ${cert:dyn.test}
              - name: tcp
                bind: 127.0.0.1:0
                mode: tcp
                backend: relay
                certificates:
                  - crt: ${cert:tcp.test}
            backends:
              - name: app
                balance: roundrobin
                health_check: { type: tcp, interval: 100ms, timeout: 1s, rise: 1, fall: 1 }
                servers:
                  - { name: app1, address: 127.0.0.1:${port:b1} }
              - name: relay
                servers:
                  - { name: e1, address: 127.0.0.1:${port:echo1} }
            runtime_api: { socket: ${socket}, mode: "0600", level: admin }
            """).port("b1", b1::port).port("echo1", echo1::port);

    private final List<SSLSocket> sockets = new ArrayList<>();

    @AfterEach
    void close() throws IOException {
        for (SSLSocket s : sockets) {
            s.close();
        }
        b1.close();
        b2.close();
        b3.close();
        echo1.close();
        echo2.close();
    }

    /** A keep-alive HTTP backend answering its name; {@code GET /hold} waits for {@link #releaseHeld}. */
    static final class Named implements AutoCloseable {
        final String name;
        final LoopbackServer server;
        final BlockingQueue<ChannelHandlerContext> held = new LinkedBlockingQueue<>();

        Named(String name) {
            this.name = name;
            this.server = LoopbackServer.of(GROUP, () -> new ChannelInitializer<Channel>() {
                @Override
                protected void initChannel(Channel ch) {
                    ch.pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(4096),
                            new SimpleChannelInboundHandler<FullHttpRequest>() {
                                @Override
                                protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
                                    if (req.uri().equals("/hold")) {
                                        held.add(ctx);
                                    } else {
                                        respond(ctx);
                                    }
                                }
                            });
                }
            });
        }

        void respond(ChannelHandlerContext ctx) {
            byte[] body = name.getBytes(StandardCharsets.US_ASCII);
            FullHttpResponse res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK,
                    Unpooled.wrappedBuffer(body));
            res.headers().set(HttpHeaderNames.CONTENT_LENGTH, body.length);
            ctx.writeAndFlush(res);
        }

        ChannelHandlerContext awaitHeld() throws InterruptedException {
            ChannelHandlerContext ctx = held.poll(10, TimeUnit.SECONDS);
            if (ctx == null) {
                throw new AssertionError(name + " got no held request");
            }
            return ctx;
        }

        void release(ChannelHandlerContext ctx) {
            ctx.executor().execute(() -> respond(ctx));
        }

        int port() {
            return server.port();
        }

        @Override
        public void close() {
            server.close();
        }
    }

    private BackendPool app() {
        return stapled.server().backends().get("app");
    }

    private String cli(String text) throws IOException {
        return CliClient.send(stapled.runtimeApi().socket(), text);
    }

    private String uncheckedCli(String text) {
        try {
            return cli(text);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private SSLSocket https() throws Exception {
        return tls("https", "dyn.test");
    }

    private SSLSocket tls(String frontend, String sni) throws Exception {
        SSLContext ctx = TrustingSslContext.trusting(stapled.root());
        SSLSocket s = (SSLSocket) ctx.getSocketFactory().createSocket("127.0.0.1", stapled.port(frontend));
        sockets.add(s);
        s.setSoTimeout(10_000);
        SSLParameters p = s.getSSLParameters();
        p.setServerNames(List.of(new SNIHostName(sni)));
        s.setSSLParameters(p);
        s.startHandshake();
        return s;
    }

    private static void send(SSLSocket s, String path) throws IOException {
        s.getOutputStream().write(("GET " + path + " HTTP/1.1\r\nHost: dyn.test\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII));
        s.getOutputStream().flush();
    }

    /** Reads one response: "200 b1", or "503" for a response without a body. */
    private static String read(BufferedReader in) throws IOException {
        String status = in.readLine();
        String code = status.split(" ")[1];
        int length = 0;
        String line;
        while (!(line = in.readLine()).isEmpty()) {
            if (line.toLowerCase(java.util.Locale.ROOT).startsWith("content-length:")) {
                length = Integer.parseInt(line.substring(15).trim());
            }
        }
        char[] body = new char[length];
        for (int i = 0; i < length; i++) {
            body[i] = (char) in.read();
        }
        return length == 0 ? code : code + " " + new String(body);
    }

    private static BufferedReader reader(SSLSocket s) throws IOException {
        return new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.ISO_8859_1));
    }

    /** One request on a fresh connection. */
    private String get() throws Exception {
        SSLSocket s = https();
        send(s, "/");
        String r = read(reader(s));
        s.close();
        return r;
    }

    private String serverLine(String name) throws IOException {
        for (String l : cli("show servers state app\n").split("\n")) {
            if (l.startsWith("1 app ") && l.split(" ")[3].equals(name)) {
                return l;
            }
        }
        return null;
    }

    @Test
    void addrChangeSendsNewRequestsToTheNewAddressWhileAnOpenExchangeCarriesOn() throws Exception {
        SSLSocket holding = https();
        send(holding, "/hold");
        ChannelHandlerContext held = b1.awaitHeld();
        SSLSocket keep = https();
        BufferedReader keepIn = reader(keep);
        send(keep, "/");
        assertEquals("200 b1", read(keepIn), "on a second backend connection, now idle in the pool");
        int acceptedBefore = b1.server.accepted.get();

        assertEquals("no need to change the addr, port changed from '" + b1.port() + "' to '"
                + b2.port() + "' by 'stats socket command'\n\n",
                cli("set server app/app1 addr 127.0.0.1 port " + b2.port() + "\n"));
        assertTrue(serverLine("app1").contains(" - " + b2.port() + " "), serverLine("app1"));
        assertEquals("200 b2", get(), "a new connection goes to the new address");
        send(keep, "/");
        assertEquals("200 b2", read(keepIn), "the idle pooled connection to the old address is not reused");
        assertEquals(acceptedBefore, b1.server.accepted.get(), "nothing new reached the old address");

        b1.release(held);
        assertEquals("200 b1", read(reader(holding)), "the exchange open on the old address finished there");
        send(keep, "/");
        assertEquals("200 b2", read(keepIn));
        assertEquals(acceptedBefore, b1.server.accepted.get());
        assertTrue(cli("show stat\n").contains(",127.0.0.1:" + b2.port() + ","));

        assertEquals("no need to change the addr, no need to change the port by 'stats socket command'\n\n",
                cli("set server app/app1 addr 127.0.0.1 port " + b2.port() + "\n"));
        assertEquals("no need to change the addr by 'stats socket command'\n\n",
                cli("set server app/#1 addr 127.0.0.1\n"));
        assertEquals("IP changed from '127.0.0.1' to '::1', port changed from '" + b2.port()
                + "' to '9' by 'stats socket command'\n\n", cli("set server app/app1 addr 0:0::1 port 9\n"));
        assertTrue(serverLine("app1").startsWith("1 app 1 app1 ::1 "), serverLine("app1"));
        assertTrue(cli("show stat\n").contains(",[::1]:9,"));
        assertTrue(get().startsWith("503"), "nothing listens there");
    }

    @Test
    void addrChangeLeavesAnOpenTcpRelayOnTheOldServer() throws Exception {
        SSLSocket open = tls("tcp", "tcp.test");
        assertEquals("one", echo(open, "one"));
        assertEquals(1, echo1.accepted.get());
        assertEquals("no need to change the addr, port changed from '" + echo1.port() + "' to '" + echo2.port()
                + "' by 'stats socket command'\n\n", cli("set server relay/e1 addr 127.0.0.1 port " + echo2.port() + "\n"));
        SSLSocket fresh = tls("tcp", "tcp.test");
        assertEquals("two", echo(fresh, "two"));
        assertEquals(1, echo2.accepted.get(), "the new connection went to the new address");
        assertEquals("three", echo(open, "three"), "the open relay carries on to the old one");
        assertEquals(1, echo1.accepted.get());
    }

    private static String echo(SSLSocket s, String text) throws IOException {
        s.getOutputStream().write(text.getBytes(StandardCharsets.US_ASCII));
        s.getOutputStream().flush();
        byte[] got = s.getInputStream().readNBytes(text.length());
        return new String(got, StandardCharsets.US_ASCII);
    }

    @Test
    void healthChecksFollowTheNewAddress() throws Exception {
        Poll.until(Duration.ofSeconds(5), "app1 checked", () -> uncheckedCli("show stat\n").contains(",L4OK,"));
        int closed;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
            closed = s.getLocalPort();
        }
        cli("set server app/app1 addr 127.0.0.1 port " + closed + "\n");
        Poll.until(Duration.ofSeconds(5), "app1 marked down by checks of the new address",
                () -> !app().server("app1").isHealthy());
        assertTrue(get().startsWith("503"));
        cli("set server app/app1 addr 127.0.0.1 port " + b3.port() + "\n");
        Poll.until(Duration.ofSeconds(5), "app1 back up", () -> app().server("app1").isHealthy());
        assertEquals("200 b3", get());
    }

    @Test
    void addedServerStartsInMaintenanceThenTakesItsShare() throws Exception {
        assertEquals("New server registered.\n\n", cli("add server app/app2 127.0.0.1:" + b2.port() + "\n"));
        String line = serverLine("app2");
        assertTrue(line.startsWith("1 app 2 app2 127.0.0.1 0 1 1 1 "), line);
        assertTrue(line.contains(" - " + b2.port() + " "), line);
        for (int i = 0; i < 4; i++) {
            assertEquals("200 b1", get(), "in maintenance it takes no traffic");
        }
        assertEquals(0, b2.server.accepted.get());
        assertEquals("\n", cli("set server app/app2 state ready\n"));
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < 4; i++) {
            seen.add(get());
        }
        assertEquals(Set.of("200 b1", "200 b2"), seen, "round robin over both");
        assertTrue(cli("show stat\n").contains("\napp,app2,"));
        assertTrue(stapled.server().metrics().registry().scrape().contains("server=\"app2\""),
                "the added server has its meters");

        assertEquals("New server registered.\n\n",
                cli("add server app/app3 127.0.0.1:" + b3.port() + " weight 2 enabled\n"));
        assertTrue(serverLine("app3").startsWith("1 app 3 app3 127.0.0.1 2 0 2 2 "), serverLine("app3"));
        assertEquals("Already exists a server with the same name in backend.\n\n",
                cli("add server app/app3 127.0.0.1:1\n"));
    }

    @Test
    void deleteNeedsMaintenanceAndNoConnectionsThenTheServerIsGone() throws Exception {
        cli("add server app/app2 127.0.0.1:" + b2.port() + " enabled\n");
        assertEquals("Only servers in maintenance mode can be deleted.\n\n", cli("del server app/app2\n"));
        cli("set server app/app1 state maint\n");
        SSLSocket holding = https();
        send(holding, "/hold");
        ChannelHandlerContext held = b2.awaitHeld();
        cli("set server app/app2 state maint\n");
        assertEquals("Server still has connections attached to it, cannot remove it.\n\n",
                cli("del server app/app2\n"));
        b2.release(held);
        assertEquals("200 b2", read(reader(holding)));
        Poll.until(Duration.ofSeconds(5), "the exchange to end", () -> app().server("app2").activeConnections() == 0);
        assertEquals("Server deleted.\n\n", cli("del server app/app2\n"));
        assertEquals(null, serverLine("app2"));
        assertFalse(cli("show stat\n").contains("\napp,app2,"));
        assertFalse(stapled.server().metrics().registry().scrape().contains("server=\"app2\""),
                "its meters are gone");
        assertEquals("No such server.\n\n", cli("del server app/app2\n"));

        cli("set server app/app1 state ready\n");
        int accepted = b2.server.accepted.get();
        for (int i = 0; i < 4; i++) {
            assertEquals("200 b1", get());
        }
        assertEquals(accepted, b2.server.accepted.get(), "a deleted server gets no traffic");

        assertEquals("New server registered.\n\n", cli("add server app/app4 127.0.0.1:" + b3.port() + "\n"));
        assertTrue(serverLine("app4").startsWith("1 app 2 app4 "), "the freed id 2 is taken again");
        assertEquals("\n", cli("disable server app/app1\n"));
        assertEquals("Server deleted.\n\n", cli("del server app/app1\n"), "configured servers can go too");
        assertTrue(get().startsWith("503"), "app4 is still in maintenance");
    }

    @Test
    void checkedServerIsCheckedOnlyOnceHealthIsEnabled() throws Exception {
        int closed;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
            closed = s.getLocalPort();
        }
        assertEquals("New server registered.\n\n", cli("add server app/bad 127.0.0.1:" + closed + " check enabled\n"));
        Thread.sleep(300); // three check intervals: no check may run before 'enable health'
        assertTrue(app().server("bad").isHealthy());
        assertEquals(null, app().server("bad").lastCheck());
        assertEquals("\n", cli("enable health app/bad\n"));
        Poll.until(Duration.ofSeconds(5), "bad checked and down", () -> !app().server("bad").isHealthy());
        assertTrue(cli("show stat\n").contains("\napp,bad,"));
        assertEquals("\n", cli("disable health app/bad\n"));
        cli("set server app/bad addr 127.0.0.1 port " + b2.port() + "\n");
        Thread.sleep(300);
        assertFalse(app().server("bad").isHealthy(), "checks stopped: the last state stays");
        assertEquals("\n", cli("enable health app/bad\n"));
        Poll.until(Duration.ofSeconds(5), "bad up again", () -> app().server("bad").isHealthy());

        cli("add server app/plain 127.0.0.1:" + b2.port() + "\n");
        assertEquals("Health check was not configured on this server, cannot enable.\n\n",
                cli("enable health app/plain\n"));
        assertEquals("\n", cli("disable health app/plain\n"));
    }

    @Test
    void malformedCommandsAreRefusedAndChangeNothing() throws Exception {
        List<String[]> cases = List.of(
                new String[] {"set server app/app1 addr", "set server <b>/<s> addr requires an address and optionally a port."},
                new String[] {"set server app/app1 addr foo", "Invalid addr 'foo' by 'stats socket command'"},
                new String[] {"set server app/app1 addr localhost", "Invalid addr 'localhost' by 'stats socket command'"},
                new String[] {"set server app/app1 addr 1.2.3.4:80", "Invalid addr '1.2.3.4:80' by 'stats socket command'"},
                new String[] {"set server app/app1 addr 1.2.3.4 port abc", "problem converting port 'abc' to an int by 'stats socket command'"},
                new String[] {"set server app/app1 addr 1.2.3.4 port 70000", "problem converting port '70000' to an int by 'stats socket command'"},
                new String[] {"set server app/app1 addr 1.2.3.4 port +5", "problem converting port '+5' to an int by 'stats socket command'"},
                new String[] {"set server app/app1 addr 1.2.3.4 port", "problem converting port '' to an int by 'stats socket command'"},
                new String[] {"set server app/app1 color blue", "usage: set server <backend>/<server> addr | health | state | weight"},
                new String[] {"add server app", "Require 'backend/server'."},
                new String[] {"add server app/ 1.2.3.4:5", "Require 'backend/server'."},
                new String[] {"add server nope/x 1.2.3.4:5", "No such backend."},
                new String[] {"add server app/x", "'server' expects <name> and <addr>[:<port>] as arguments."},
                new String[] {"add server app/x 1.2.3.4:99999", "invalid port '99999'"},
                new String[] {"add server app/x 1.2.3.4:abc", "invalid character 'a' in port number 'abc' in '1.2.3.4:abc'"},
                new String[] {"add server app/x 1.2.3.4:5 weight 300", "weight of server x is not within 0 and 256 (300).."},
                new String[] {"add server app/x 1.2.3.4:5 weight", "'weight' expects an integer argument."},
                new String[] {"add server app/x 1.2.3.4:5 inter 1s", "'inter' is not supported by stapled's add server, which takes only weight <n>, proto h1|h2, check, enabled, disabled, send-proxy and send-proxy-v2."},
                new String[] {"add server app/x 1.2.3.4:5 proto", "'proto' expects h1 or h2 (the HTTP versions stapled speaks to servers), got ''."},
                new String[] {"add server app/x localhost:80", "stapled's add server takes an IP address ('localhost:80' is not one): a name would need a DNS lookup on the runtime API's event loop."},
                new String[] {"add server app/x 1.2.3.4", "stapled's add server needs a port in '1.2.3.4' (HAProxy's port-less servers use the client's port; stapled has no such mode)."},
                new String[] {"add server app/app1 1.2.3.4:5", "Already exists a server with the same name in backend."},
                new String[] {"del server app", "Require 'backend/server'."},
                new String[] {"del server nope/app1", "No such backend."},
                new String[] {"del server app/nope", "No such server."},
                new String[] {"del server app/app1", "Only servers in maintenance mode can be deleted."},
                new String[] {"enable health app/nope", "No such server."});
        for (String[] c : cases) {
            assertEquals(c[1] + "\n\n", cli(c[0] + "\n"), c[0]);
        }
        assertEquals(1, app().servers().size());
        assertEquals(new java.net.InetSocketAddress("127.0.0.1", b1.port()), app().server("app1").address());
        String help = cli("help\n");
        int at = -1;
        for (String line : List.of(
                "  add server <bk>/<srv>                   : create a new server\n",
                "  commit ssl cert <certfile>",
                "  del server <bk>/<srv>                   : remove a dynamically added server\n",
                "  del ssl cert <certfile>",
                "  disable health                          : disable health checks\n",
                "  disable server (DEPRECATED)",
                "  enable health                           : enable health checks\n",
                "  enable server  (DEPRECATED)",
                "  set server <bk>/<srv> [opts]            : change a server's state, weight, address or health\n")) {
            int next = help.indexOf(line);
            assertTrue(next > at, "help lists, in this order (as docs/RUNTIME-API.md): " + line + "\n" + help);
            at = next;
        }
        String denied = cli("operator; add server app/x 127.0.0.1:5\n");
        assertTrue(denied.endsWith("Permission denied\n\n"), denied);
        assertEquals(1, app().servers().size());
    }
}
