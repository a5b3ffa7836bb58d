package io.stapled.net;

import java.util.concurrent.ThreadFactory;

import io.netty.channel.Channel;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.kqueue.KQueueSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.channel.uring.IoUringSocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;

/**
 * The socket transport: native epoll where it loads, NIO otherwise. Chosen once per process; this is
 * the one place that names channel classes.
 */
public record Transport(
        String name,
        IoHandlerFactory ioHandlerFactory,
        Class<? extends ServerChannel> serverChannel,
        Class<? extends SocketChannel> socketChannel) {

    public static Transport best() {
        if (Epoll.isAvailable() && !Boolean.getBoolean("stapled.forceNio")) {
            return new Transport("epoll", EpollIoHandler.newFactory(),
                    EpollServerSocketChannel.class, EpollSocketChannel.class);
        }
        return nio();
    }

    public static Transport nio() {
        return new Transport("nio", NioIoHandler.newFactory(),
                NioServerSocketChannel.class, NioSocketChannel.class);
    }

    /** An event loop group of {@code threads} (0: Netty's default, two per core) named {@code name}. */
    public EventLoopGroup newGroup(int threads, String name) {
        ThreadFactory tf = new DefaultThreadFactory(name, true);
        return new MultiThreadIoEventLoopGroup(threads, tf, ioHandlerFactory);
    }

    /**
     * The socket channel class for an outgoing connection made on behalf of {@code client}: the same
     * transport as the client's, so it can be registered on the client's own event loop.
     */
    public static Class<? extends SocketChannel> socketChannelFor(Channel client) {
        if (client instanceof EpollSocketChannel) {
            return EpollSocketChannel.class;
        }
        if (client instanceof IoUringSocketChannel) {
            return IoUringSocketChannel.class;
        }
        if (client instanceof KQueueSocketChannel) {
            return KQueueSocketChannel.class;
        }
        return NioSocketChannel.class;
    }
}
