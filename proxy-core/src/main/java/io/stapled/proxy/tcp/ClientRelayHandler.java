package io.stapled.proxy.tcp;

import java.net.InetAddress;
import java.util.ArrayDeque;
import java.util.concurrent.TimeUnit;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.handler.codec.http.EmptyHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.ReferenceCountUtil;
import io.stapled.config.BackendConfig;
import io.stapled.net.Transport;
import io.stapled.tls.TlsAttributes;
import io.stapled.proxy.backend.BackendPool;
import io.stapled.proxy.backend.BackendServer;
import io.stapled.proxy.proxyprotocol.ClientAddress;
import io.stapled.proxy.proxyprotocol.ProxyHeaders;
import io.stapled.proxy.relay.Relay;
import io.stapled.proxy.relay.RelayHandler;
import io.stapled.proxy.route.ConnectionFacts;
import io.stapled.proxy.route.RouteRequest;
import io.stapled.proxy.route.RouteTable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The client side of one TCP relay. Once the client is ready (TLS handshake done, or at once without
 * TLS) it stops reading from the client, connects to a server on the client's own event loop — so
 * both sides of the relay share one thread and need no synchronisation — and starts relaying when
 * that connect succeeds. A failed connect is retried once on another available server.
 *
 * <p>When either side closes, the other is closed after its queued bytes are flushed: half-closed
 * connections are not kept open.
 */
final class ClientRelayHandler extends ChannelInboundHandlerAdapter implements RouteRequest {
    private static final Logger log = LoggerFactory.getLogger(ClientRelayHandler.class);

    private static final String RELAY = "relay";

    private final String frontendName;
    private final RouteTable<BackendPool> routes;
    /** The backend the routes picked once TLS was done. */
    private BackendPool pool;
    /** Bytes that arrived between the handshake and the backend connect; bounded by autoRead off. */
    private final ArrayDeque<Object> pending = new ArrayDeque<>(2);
    private Channel client;
    private Channel server;
    private boolean started;
    private boolean connected;
    private boolean closed;

    ClientRelayHandler(String frontendName, RouteTable<BackendPool> routes) {
        this.frontendName = frontendName;
        this.routes = routes;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        client = ctx.channel();
        // Behind TLS the backend is connected only once the handshake is done: at accept the TLS handler
        // is still the ClientHello handler, not an SslHandler yet, and a backend that speaks first (SMTP,
        // a greeting) would otherwise have its bytes written to the client before TLS, in the clear.
        if (ctx.pipeline().get(TlsAttributes.HANDLER_NAME) == null && ctx.pipeline().get(SslHandler.class) == null) {
            start();
        }
        ctx.fireChannelActive();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof SslHandshakeCompletionEvent handshake) {
            if (handshake.isSuccess()) {
                client = ctx.channel();
                start();
            }
        } else if (evt instanceof IdleStateEvent) {
            log.debug("frontend {}: client {} idle, closing", frontendName, ClientAddress.source(ctx.channel()));
            ctx.close();
            return;
        }
        ctx.fireUserEventTriggered(evt);
    }

    private void start() {
        if (started) {
            return;
        }
        started = true;
        client.config().setAutoRead(false);
        // After the handshake: the SNI and the TLS version are known now.
        pool = routes.select(this).backend();
        if (pool == null) {
            log.warn("frontend {}: no route matched {} (SNI {}) and there is no default backend, closing",
                    frontendName, ClientAddress.source(client), sni());
            client.close();
            return;
        }
        BackendServer first = pool.select(clientAddress());
        if (first == null) {
            log.warn("frontend {}: backend {} has no server available, closing {}", frontendName, pool.name(),
                    ClientAddress.source(client));
            client.close();
            return;
        }
        connect(first, true);
    }

    private void connect(BackendServer target, boolean mayRetry) {
        BackendConfig backend = pool.config();
        long connectMillis = TcpRelayInitializer.millis(backend.connectTimeout());
        long idleMillis = TcpRelayInitializer.millis(backend.serverTimeout());
        SslHandler[] tls = new SslHandler[1];
        Bootstrap bootstrap = new Bootstrap()
                .group(client.eventLoop())
                .channel(Transport.socketChannelFor(client))
                .option(ChannelOption.AUTO_READ, false)
                .handler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        if (target.tls() != null) {
                            tls[0] = target.tls().newHandler(ch.alloc(), target.address(),
                                    Math.max(1, connectMillis));
                            ch.pipeline().addLast("tls", tls[0]);
                        }
                        if (idleMillis > 0) {
                            ch.pipeline().addLast(new IdleStateHandler(true, 0, 0, idleMillis, TimeUnit.MILLISECONDS));
                        }
                        // Over TLS the relay joins once the handshake is done: a failed handshake closes this
                        // channel, which must not close the client, whose connect is retried.
                        ch.pipeline().addLast(RELAY, tls[0] == null ? new RelayHandler(client) : new HandshakeWait());
                    }
                });
        if (connectMillis > 0) {
            bootstrap.option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(Integer.MAX_VALUE, connectMillis));
        }
        ChannelFuture connect = bootstrap.connect(target.address());
        server = connect.channel();
        connect.addListener((ChannelFuture f) -> {
            if (!f.isSuccess()) {
                failed(target, f.cause(), mayRetry);
            } else if (tls[0] == null) {
                connected(target, f.channel());
            } else {
                // Relay only once the backend's TLS is up; a failed handshake is a failed connect.
                tls[0].handshakeFuture().addListener(h -> {
                    if (h.isSuccess()) {
                        f.channel().pipeline().replace(RELAY, RELAY, new RelayHandler(client));
                        connected(target, f.channel());
                    } else {
                        f.channel().close();
                        failed(target, new javax.net.ssl.SSLException("TLS handshake failed: "
                                + h.cause().getMessage(), h.cause()), mayRetry);
                    }
                });
            }
        });
    }

    private void connected(BackendServer target, Channel ch) {
        target.connectionOpened();
        ch.closeFuture().addListener(f -> target.connectionClosed());
        if (closed || !client.isActive()) {
            ch.close();
            return;
        }
        connected = true;
        if (target.sendProxy() != null) {
            ProxyHeaders.write(ch, ProxyHeaders.forClient(target.sendProxy(), client));
        }
        while (!pending.isEmpty()) {
            ch.write(pending.poll());
        }
        ch.flush();
        ch.config().setAutoRead(client.isWritable());
        client.config().setAutoRead(ch.isWritable());
    }

    private void failed(BackendServer target, Throwable cause, boolean mayRetry) {
        target.connectFailed();
        if (closed || !client.isActive()) {
            return;
        }
        BackendServer other = mayRetry ? pool.selectExcluding(clientAddress(), target) : null;
        log.warn("frontend {}: connect to backend {} server {} failed ({}){}", frontendName, pool.name(),
                target.name(), cause.getMessage(), other != null ? ", retrying on " + other.name() : "");
        if (other != null) {
            connect(other, false);
        } else {
            client.close();
        }
    }

    /** Stands in for the relay during the backend's handshake: its failure only closes the backend channel. */
    private static final class HandshakeWait extends ChannelInboundHandlerAdapter {
        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (connected) {
            Relay.forward(ctx.channel(), server, msg);
        } else if (closed) {
            ReferenceCountUtil.release(msg);
        } else {
            pending.add(msg);
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        if (connected) {
            server.flush();
        }
        ctx.fireChannelReadComplete();
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        // The client drained (or filled) its outbound buffer: let the server side follow.
        if (connected) {
            server.config().setAutoRead(ctx.channel().isWritable());
        }
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        closed = true;
        releasePending();
        if (server != null) {
            Relay.closeOnFlush(server);
        }
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        log.debug("frontend {}: client {} error: {}", frontendName, ClientAddress.source(ctx.channel()),
                cause.toString());
        ctx.close();
    }

    private void releasePending() {
        Object msg;
        while ((msg = pending.poll()) != null) {
            ReferenceCountUtil.release(msg);
        }
    }

    // ---------------------------------------------------------------- RouteRequest: the connection's facts only

    @Override
    public String methodName() {
        return null;
    }

    @Override
    public String host() {
        return null;
    }

    @Override
    public String uri() {
        return "";
    }

    @Override
    public HttpHeaders headers() {
        return EmptyHttpHeaders.INSTANCE;
    }

    @Override
    public InetAddress source() {
        return clientAddress();
    }

    @Override
    public String sni() {
        return ConnectionFacts.sni(client);
    }

    @Override
    public String tlsVersion() {
        return ConnectionFacts.tlsVersion(client);
    }

    @Override
    public io.stapled.tls.ClientCertificate clientCertificate() {
        // Routed on the handshake-completion event, after the handshake listener recorded it.
        return ConnectionFacts.clientCertificate(client);
    }

    private InetAddress clientAddress() {
        return ClientAddress.of(client);
    }
}
