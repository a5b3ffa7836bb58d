package io.stapled.proxy.http;

import io.netty.channel.Channel;
import io.netty.util.concurrent.Future;

import io.stapled.proxy.backend.BackendServer;

/**
 * Where exchanges borrow backend connections: {@link BackendConnectionPool} in production; the
 * handler state-machine tests lend connections on Netty's {@code EmbeddedChannel} instead, with the
 * same pipeline ({@link BackendConnectionPool#initPipeline}).
 */
interface BackendConnections {

    /**
     * A connection to {@code server} on {@code client}'s event loop, or for a {@code proto: h2} server
     * a stream of a shared connection (a channel all the same). Called on that event loop.
     */
    Future<Channel> acquire(BackendServer server, Channel client);

    /** Returns a connection whose exchange finished cleanly; it is kept idle or closed. On its event loop. */
    void release(BackendServer server, Channel channel);

    /** Closes every idle connection; connections in use close when their exchange ends. */
    void close();

    /** Idle connections, for tests and stats; may be a racy read. */
    int idleCount();
}
