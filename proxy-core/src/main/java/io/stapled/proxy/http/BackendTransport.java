package io.stapled.proxy.http;

import io.netty.channel.Channel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.kqueue.KQueueSocketChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.channel.uring.IoUringSocketChannel;

/**
 * The socket channel class for a backend connection: the same transport as the client channel, so the
 * backend connection can be registered on the client's own event loop.
 */
final class BackendTransport {
    private BackendTransport() {
    }

    static Class<? extends SocketChannel> channelClassFor(Channel client) {
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
