package io.stapled.testing;

import java.util.concurrent.TimeUnit;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * One NIO event loop group shared by the tests of a class: started before the first test, shut down
 * (quickly) after the last. Register it as {@code @RegisterExtension static final EventLoopGroupExtension
 * loops = new EventLoopGroupExtension(2);} and use {@link #group()}.
 */
public final class EventLoopGroupExtension implements BeforeAllCallback, AfterAllCallback {
    private final int threads;
    private volatile EventLoopGroup group;

    public EventLoopGroupExtension(int threads) {
        this.threads = threads;
    }

    public EventLoopGroup group() {
        EventLoopGroup g = group;
        if (g == null) {
            throw new IllegalStateException(
                    "the event loop group is not started; register this extension on a static field");
        }
        return g;
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        group = new MultiThreadIoEventLoopGroup(threads, NioIoHandler.newFactory());
    }

    @Override
    public void afterAll(ExtensionContext context) {
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        group = null;
    }
}
