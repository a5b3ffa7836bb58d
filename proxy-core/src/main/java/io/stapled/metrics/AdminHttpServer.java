package io.stapled.metrics;

import java.net.InetSocketAddress;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.concurrent.GlobalEventExecutor;
import io.stapled.config.AdminHttpConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The admin HTTP listener ({@code /metrics}, {@code /healthz}, {@code /readyz}, nothing else) on the
 * event loop group the proxy already runs. Small requests only: the paths take no body.
 */
public final class AdminHttpServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(AdminHttpServer.class);
    private static final int MAX_REQUEST_BYTES = 8 * 1024;
    private static final int IDLE_SECONDS = 60;

    private final Channel channel;
    private final ChannelGroup connections;

    private AdminHttpServer(Channel channel, ChannelGroup connections) {
        this.channel = channel;
        this.connections = connections;
    }

    /**
     * Binds {@code config.bind()} and serves until {@link #close()}. Blocks until bound; call it off
     * the event loops.
     *
     * @throws IllegalStateException naming the address when the bind fails
     * @throws io.stapled.config.ConfigException when the bearer token file cannot be read
     */
    public static AdminHttpServer start(AdminHttpConfig config, Readiness readiness, PrometheusMeterRegistry registry,
                                        Runnable beforeScrape, EventLoopGroup group,
                                        Class<? extends ServerChannel> channelClass) {
        Objects.requireNonNull(config, "config");
        BearerToken token = config.bearerTokenFile() == null ? null
                : BearerToken.read(config.bearerTokenFile(), config.bearerTokenOrigin());
        AdminHttpHandler handler = new AdminHttpHandler(readiness, registry, token, beforeScrape);
        ChannelGroup connections = new DefaultChannelGroup("stapled-admin", GlobalEventExecutor.INSTANCE);
        ServerBootstrap b = new ServerBootstrap()
                .group(group)
                .channel(channelClass)
                .option(ChannelOption.SO_REUSEADDR, true)
                .childHandler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        connections.add(ch);
                        ch.pipeline()
                                .addLast(new IdleStateHandler(0, 0, IDLE_SECONDS, TimeUnit.SECONDS))
                                .addLast(new HttpServerCodec(4096, MAX_REQUEST_BYTES, 8192))
                                .addLast(new HttpObjectAggregator(MAX_REQUEST_BYTES))
                                .addLast(handler);
                    }
                });
        InetSocketAddress address = config.bind().toSocketAddress();
        io.netty.channel.ChannelFuture bound = b.bind(address).awaitUninterruptibly();
        if (!bound.isSuccess()) {
            throw new IllegalStateException("admin HTTP listener: cannot bind " + config.bind() + ": "
                    + bound.cause().getMessage(), bound.cause());
        }
        AdminHttpServer server = new AdminHttpServer(bound.channel(), connections);
        log.info("admin HTTP listener on {} (/metrics, /healthz, /readyz{})", server.localAddress(),
                token == null ? "" : "; /metrics and /readyz details need the bearer token");
        return server;
    }

    /** The bound address (the real port when the config asked for 0). */
    public InetSocketAddress localAddress() {
        return (InetSocketAddress) channel.localAddress();
    }

    public boolean isListening() {
        return channel.isActive();
    }

    /** Stops listening; open admin connections are closed with it. */
    @Override
    public void close() {
        channel.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
        connections.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
    }
}
