package io.stapled.proxy.http;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelPipeline;

import io.stapled.proxy.backend.BackendServer;
import io.stapled.proxy.relay.RelayHandler;

/**
 * The switch after a 101 (WebSocket and other upgrades): both pipelines drop HTTP and relay bytes
 * until either side closes.
 */
final class UpgradeTunnel {
    static final String NAME = "stapled-tunnel";

    private UpgradeTunnel() {
    }

    /**
     * Rebuilds both pipelines; the 101 head must already be written (it is encoded before the
     * encoder goes). {@code server} gets its connection back when the tunnel closes.
     */
    static void open(ChannelPipeline clientPipeline, ChannelHandler httpHandler, Channel backend,
                     BackendServer server) {
        Channel client = clientPipeline.channel();
        ChannelPipeline bp = backend.pipeline();
        backend.closeFuture().addListener(f -> server.connectionClosed());
        // Encoders go first: from here on raw bytes flow both ways and must not meet an HTTP encoder.
        // Anything the backend decoder still emits as an HTTP object, such as the empty end of the
        // 101, is dropped by the relay.
        clientPipeline.remove(HttpProxyInitializer.ENCODER);
        bp.remove(BackendConnectionPool.ENCODER);
        clientPipeline.addLast(NAME, new RelayHandler(backend));
        bp.addLast(NAME, new RelayHandler(client));
        bp.remove(BackendConnectionHandler.NAME);
        clientPipeline.remove(httpHandler);
        // Removing a decoder hands its unread bytes to the relay behind it.
        clientPipeline.remove(HttpProxyInitializer.DECODER);
        bp.remove(BackendConnectionPool.DECODER);
        client.config().setAutoRead(backend.isWritable());
        backend.config().setAutoRead(client.isWritable());
        backend.flush();
        client.flush();
    }
}
