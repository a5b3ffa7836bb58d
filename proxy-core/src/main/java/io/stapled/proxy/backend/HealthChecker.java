package io.stapled.proxy.backend;

import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ConnectTimeoutException;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import io.netty.handler.ssl.SslHandler;
import io.stapled.config.BackendConfig.HealthCheckConfig;
import io.stapled.proxy.proxyprotocol.ProxyHeaders;
import io.stapled.tls.BackendTlsContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Active health checks of one backend's servers. Each server is checked on one event loop of the
 * given group with a non-blocking connect; a check never blocks a thread and the next one is
 * scheduled when the previous one has finished, {@code interval} (plus up to 10% jitter) later, so
 * a slow server is never checked twice at once.
 *
 * <p>Servers start up (HAProxy's default {@code init-state fully-up}): it takes {@code fall}
 * consecutive failures to mark one down and then {@code rise} consecutive successes to bring it
 * back. Each transition is logged once.
 */
public final class HealthChecker implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(HealthChecker.class);
    private static final String USER_AGENT = "stapled-health-check";
    /** The most of a response body an {@code expect_body} check reads (HAProxy's default check buffer). */
    static final int MAX_CHECKED_BODY = 16 * 1024;

    private final String backendName;
    private final HealthCheckConfig config;
    /** {@code expect_body} as compared: see {@link #expectedBodyOf}. */
    private final String expectedBody;
    private final EventLoopGroup group;
    private final Class<? extends SocketChannel> channelClass;
    /** Written by the runtime API ({@link #add}, {@link #remove}) as well as read by {@link #close}. */
    private final List<ServerCheck> checks = new CopyOnWriteArrayList<>();
    private final AtomicBoolean started = new AtomicBoolean();
    private volatile boolean closed;

    public HealthChecker(BackendPool pool, HealthCheckConfig config, EventLoopGroup group,
            Class<? extends SocketChannel> channelClass) {
        if (config.rise() < 1 || config.fall() < 1) {
            throw new IllegalArgumentException("backend " + pool.name()
                    + ": health-check rise and fall must be at least 1");
        }
        if (config.interval() == null || config.interval().toMillis() < 1) {
            throw new IllegalArgumentException("backend " + pool.name()
                    + ": health-check interval must be at least 1ms");
        }
        this.backendName = pool.name();
        this.config = config;
        this.expectedBody = expectedBodyOf(config);
        this.group = group;
        this.channelClass = channelClass;
        for (BackendServer server : pool.servers()) {
            checks.add(new ServerCheck(server, group.next()));
        }
    }

    /** Starts checking; the first check of each server runs within one interval, spread at random. */
    public void start() {
        if (!started.compareAndSet(false, true)) {
            throw new IllegalStateException("backend " + backendName + ": health checks already started");
        }
        for (ServerCheck check : checks) {
            begin(check);
        }
    }

    private void begin(ServerCheck check) {
        check.enabled = true;
        check.server.recordCheck(new CheckResult(CheckStatus.INI, "not checked yet", 0,
                System.currentTimeMillis()), 0, 0);
        long first = ThreadLocalRandom.current().nextLong(Math.max(1, config.interval().toMillis()));
        check.loop.execute(() -> check.schedule(first));
    }

    /**
     * Watches a server added at run time. As HAProxy does for a dynamic server, its checks stay off
     * until {@link #enable} ({@code enable health}).
     */
    public void add(BackendServer server) {
        checks.add(new ServerCheck(server, group.next()));
    }

    /** Stops checking a deleted server. */
    public void remove(BackendServer server) {
        ServerCheck check = find(server);
        if (check != null) {
            checks.remove(check);
            stop(check);
        }
    }

    /** Starts (again) the checks of {@code server}; false when this checker does not watch it. */
    public synchronized boolean enable(BackendServer server) {
        ServerCheck check = find(server);
        if (check == null) {
            return false;
        }
        if (!check.enabled && started.get() && !closed) {
            begin(check);
        }
        return true;
    }

    /** Stops the checks of {@code server}, which keeps its last health; false when not watched. */
    public synchronized boolean disable(BackendServer server) {
        ServerCheck check = find(server);
        if (check == null) {
            return false;
        }
        if (check.enabled) {
            stop(check);
        }
        return true;
    }

    /** True when {@code server} is watched and its checks are running. */
    public boolean isEnabled(BackendServer server) {
        ServerCheck check = find(server);
        return check != null && check.enabled;
    }

    private void stop(ServerCheck check) {
        check.enabled = false;
        if (!check.loop.isShuttingDown()) {
            check.loop.execute(check::cancel);
        }
    }

    private ServerCheck find(BackendServer server) {
        for (ServerCheck check : checks) {
            if (check.server == server) {
                return check;
            }
        }
        return null;
    }

    /** Stops all checks; a check in flight finishes without scheduling another. */
    @Override
    public void close() {
        closed = true;
        for (ServerCheck check : checks) {
            if (!check.loop.isShuttingDown()) {
                check.loop.execute(check::cancel);
            }
        }
    }

    private long timeoutMillis() {
        long t = config.timeout() == null ? 0 : config.timeout().toMillis();
        return t > 0 ? t : Math.max(1, config.interval().toMillis());
    }

    private long nextDelayMillis() {
        long interval = config.interval().toMillis();
        return interval + ThreadLocalRandom.current().nextLong(interval / 10 + 1);
    }

    /** The check state of one server; every field but {@link #enabled} is touched on {@link #loop} only. */
    private final class ServerCheck {
        final BackendServer server;
        final EventLoop loop;
        /** Off before start, after {@code disable health} and for a deleted server: nothing is scheduled. */
        volatile boolean enabled;
        ScheduledFuture<?> next;
        int successes;
        int failures;

        ServerCheck(BackendServer server, EventLoop loop) {
            this.server = server;
            this.loop = loop;
        }

        void schedule(long delayMillis) {
            if (!closed && enabled) {
                cancel();
                next = loop.schedule(this::run, delayMillis, TimeUnit.MILLISECONDS);
            }
        }

        void cancel() {
            if (next != null) {
                next.cancel(false);
                next = null;
            }
        }

        void run() {
            if (!closed && enabled) {
                new Attempt(this).begin();
            }
        }

        void record(CheckResult result) {
            boolean wasUp = server.isHealthy();
            boolean nowUp = wasUp;
            if (result.isSuccess()) {
                failures = 0;
                successes = Math.min(successes + 1, config.rise());
                if (!wasUp && successes >= config.rise()) {
                    nowUp = true;
                }
            } else {
                successes = 0;
                failures = Math.min(failures + 1, config.fall());
                if (wasUp && failures >= config.fall()) {
                    nowUp = false;
                }
            }
            int count = result.isSuccess() ? successes : failures;
            if (nowUp != wasUp) {
                successes = 0;
                failures = 0;
            }
            // Publish the result before the state it causes: whoever sees the new state sees why.
            server.recordCheck(result, nowUp ? failures : successes, nowUp ? config.fall() : config.rise());
            if (nowUp != wasUp) {
                server.setHealthy(nowUp);
                if (nowUp) {
                    log.info("backend {} server {} is UP: {} ({}/{}), check duration {}ms", backendName,
                            server.name(), result.description(), count, config.rise(), result.durationMillis());
                } else {
                    log.warn("backend {} server {} is DOWN: {} ({}/{}), check duration {}ms", backendName,
                            server.name(), result.description(), count, config.fall(), result.durationMillis());
                }
            }
            schedule(nextDelayMillis());
        }
    }

    /** One check: connect, maybe ask over HTTP, report exactly once, then close. */
    private final class Attempt {
        final ServerCheck check;
        final long startNanos = System.nanoTime();
        boolean done;
        boolean connected;
        Channel channel;
        SslHandler tls;
        ScheduledFuture<?> timeout;

        Attempt(ServerCheck check) {
            this.check = check;
        }

        void begin() {
            InetSocketAddress address = check.server.address();
            if (address.isUnresolved()) {
                finish(CheckStatus.SOCKERR, "cannot resolve " + address.getHostString());
                return;
            }
            BackendTlsContext context = check.server.tls();
            Bootstrap bootstrap = new Bootstrap()
                    .group(check.loop)
                    .channel(channelClass)
                    .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(Integer.MAX_VALUE, timeoutMillis()))
                    .option(ChannelOption.SO_LINGER, 0)
                    .handler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel ch) {
                            if (context != null) {
                                // Made here, where the pipeline takes it at once: its engine is never orphaned.
                                tls = context.newHandler(ch.alloc(), address, timeoutMillis());
                                ch.pipeline().addLast(tls);
                            }
                            if (config.type() == HealthCheckConfig.Type.HTTP) {
                                ch.pipeline().addLast(new HttpClientCodec(), new HttpCheckHandler(Attempt.this));
                            } else if (tls != null) {
                                ch.pipeline().addLast(new HandshakeFailureSink(Attempt.this));
                            }
                        }
                    });
            ChannelFuture connect;
            try {
                connect = bootstrap.connect(address);
            } catch (RuntimeException e) {
                finish(CheckStatus.SOCKERR, String.valueOf(e.getMessage()));
                return;
            }
            channel = connect.channel();
            timeout = check.loop.schedule(() -> {
                if (connected && tls != null && !tls.handshakeFuture().isDone()) {
                    finish(CheckStatus.L6TOUT, "TLS handshake timeout after " + timeoutMillis() + "ms");
                } else if (connected) {
                    finish(CheckStatus.L7TOUT, "no HTTP response within " + timeoutMillis() + "ms");
                } else {
                    finish(CheckStatus.L4TOUT, "connect timeout after " + timeoutMillis() + "ms");
                }
            }, timeoutMillis(), TimeUnit.MILLISECONDS);
            connect.addListener((ChannelFuture f) -> {
                if (!f.isSuccess()) {
                    Throwable cause = f.cause();
                    if (cause instanceof ConnectTimeoutException) {
                        finish(CheckStatus.L4TOUT, "connect timeout after " + timeoutMillis() + "ms");
                    } else {
                        finish(CheckStatus.L4CON, connectFailure(cause));
                    }
                    return;
                }
                connected = true;
                if (check.server.sendProxy() != null) {
                    // A server behind send_proxy expects the header on every connection; a check's own is
                    // LOCAL (v1: UNKNOWN), as HAProxy's, so the server does not take it for a client.
                    // Written to the socket before the TLS handler's ClientHello.
                    ProxyHeaders.write(f.channel(), ProxyHeaders.local(check.server.sendProxy()));
                    f.channel().flush();
                }
                if (tls == null) {
                    afterConnect(f.channel(), address);
                    return;
                }
                tls.handshakeFuture().addListener(h -> {
                    if (h.isSuccess()) {
                        afterConnect(f.channel(), address);
                    } else if (h.cause() instanceof io.netty.handler.ssl.SslHandshakeTimeoutException) {
                        finish(CheckStatus.L6TOUT, "TLS handshake timeout after " + timeoutMillis() + "ms");
                    } else {
                        handshakeFailed(h.cause());
                    }
                });
            });
        }

        /**
         * True (and reported) when this is a TLS check whose handshake has not succeeded: a close or an
         * error then means the handshake failed, whichever of them the pipeline reports first.
         */
        boolean handshakeFailed(Throwable cause) {
            if (tls == null || tls.handshakeFuture().isSuccess()) {
                return false;
            }
            Throwable why = cause != null ? cause : tls.handshakeFuture().cause();
            finish(CheckStatus.L6RSP, "TLS handshake failed: "
                    + (why == null ? "connection closed" : connectFailure(why)));
            return true;
        }

        /** Connected (and over TLS, handshake done): a TCP check has passed, an HTTP check asks. */
        void afterConnect(Channel ch, InetSocketAddress address) {
            if (config.type() == HealthCheckConfig.Type.TCP) {
                finish(tls == null ? CheckStatus.L4OK : CheckStatus.L6OK,
                        tls == null ? "connected" : "TLS handshake done");
            } else {
                ch.writeAndFlush(request(address));
            }
        }

        FullHttpRequest request(InetSocketAddress address) {
            String path = config.path() == null || config.path().isEmpty() ? "/" : config.path();
            FullHttpRequest req = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.valueOf(config.method()),
                    path);
            String host = address.getHostString();
            if (host.indexOf(':') >= 0) {
                host = "[" + host + "]";
            }
            req.headers().set(HttpHeaderNames.HOST, config.host() != null ? config.host() : host + ":" + address.getPort());
            req.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
            req.headers().set(HttpHeaderNames.USER_AGENT, USER_AGENT);
            return req;
        }

        void finish(CheckStatus status, String description) {
            if (done) {
                return;
            }
            done = true;
            if (timeout != null) {
                timeout.cancel(false);
            }
            if (channel != null) {
                channel.close();
            }
            long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos);
            check.record(new CheckResult(status, description, millis, System.currentTimeMillis()));
        }
    }

    /** {@code expect_body} as the chars {@link HttpCheckHandler} compares it with: one per UTF-8 byte. */
    private static String expectedBodyOf(HealthCheckConfig config) {
        return config.expectBody() == null ? null
                : new String(config.expectBody().getBytes(StandardCharsets.UTF_8), StandardCharsets.ISO_8859_1);
    }

    /** {@code expectStatus} 0 accepts any 2xx or 3xx, as HAProxy does without {@code http-check expect}. */
    private boolean expected(int code) {
        int want = config.expectStatus();
        return want > 0 ? code == want : code >= 200 && code < 400;
    }

    private static String connectFailure(Throwable cause) {
        if (cause instanceof ConnectException && cause.getMessage() != null
                && cause.getMessage().toLowerCase().contains("refused")) {
            return "connection refused";
        }
        String message = cause.getMessage();
        return message == null ? cause.getClass().getSimpleName() : message;
    }

    /**
     * Reads the status line of the response, and with {@code expect_body} the body up to
     * {@link #MAX_CHECKED_BODY} bytes (what HAProxy's check buffer holds); the rest is released unread.
     */
    private final class HttpCheckHandler extends ChannelInboundHandlerAdapter {
        private final Attempt attempt;
        /** The body so far, a char per byte, compared with {@link #expectedBody}; null until the status passed. */
        private StringBuilder body;

        HttpCheckHandler(Attempt attempt) {
            this.attempt = attempt;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            try {
                if (msg instanceof HttpResponse response) {
                    if (response.decoderResult().isFailure()) {
                        attempt.finish(CheckStatus.L7RSP, "invalid HTTP response");
                        return;
                    }
                    int code = response.status().code();
                    if (!expected(code)) {
                        attempt.finish(CheckStatus.L7STS, "HTTP status " + code + ", expected "
                                + (config.expectStatus() > 0 ? config.expectStatus() : "2xx/3xx"));
                    } else if (expectedBody == null) {
                        attempt.finish(CheckStatus.L7OK, "HTTP status " + code);
                    } else {
                        body = new StringBuilder();
                    }
                }
                if (msg instanceof HttpContent content && body != null) {
                    readBody(content);
                }
            } finally {
                ReferenceCountUtil.release(msg);
            }
        }

        private void readBody(HttpContent content) {
            int room = MAX_CHECKED_BODY - body.length();
            ByteBuf bytes = content.content();
            body.append(bytes.toString(bytes.readerIndex(), Math.min(room, bytes.readableBytes()),
                    StandardCharsets.ISO_8859_1));
            // Searched from where a match could start that the last part did not already rule out.
            int from = Math.max(0, body.length() - bytes.readableBytes() - expectedBody.length());
            if (body.indexOf(expectedBody, from) >= 0) {
                attempt.finish(CheckStatus.L7OK, "HTTP content check matched");
            } else if (content instanceof LastHttpContent || body.length() >= MAX_CHECKED_BODY) {
                attempt.finish(CheckStatus.L7RSP, "HTTP content check did not match in the first "
                        + body.length() + " bytes");
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            if (!attempt.handshakeFailed(null)) {
                attempt.finish(CheckStatus.L7RSP, "connection closed without an HTTP response");
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            if (!attempt.handshakeFailed(cause)) {
                attempt.finish(CheckStatus.L7RSP, "error reading response: " + cause.getMessage());
            }
        }
    }

    /** Behind the TLS handler of a TCP check: the handshake's failure is reported by its future. */
    private static final class HandshakeFailureSink extends ChannelInboundHandlerAdapter {
        private final Attempt attempt;

        HandshakeFailureSink(Attempt attempt) {
            this.attempt = attempt;
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            attempt.handshakeFailed(cause);
        }
    }
}
