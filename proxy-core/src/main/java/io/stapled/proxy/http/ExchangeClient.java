package io.stapled.proxy.http;

import java.net.InetAddress;

import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpResponse;

import io.stapled.proxy.backend.BackendServer;
import io.stapled.proxy.conn.LazyDeadline;

/**
 * The client half of an {@link Exchange}: where its response goes and what it may know of the
 * client. An HTTP/1.1 connection is one (one exchange at a time); an HTTP/2 stream will be another,
 * so nothing here speaks of keep-alive bytes or pipelining. Called on the client's event loop only.
 */
interface ExchangeClient {

    /** The client channel: its event loop and transport are those of the backend connection. */
    Channel channel();

    ByteBufAllocator alloc();

    /** Null when the peer address is not an IP address. */
    InetAddress address();

    /** The client address as text, {@code -} when unknown. */
    String ip();

    /** The client's protocol as the access log writes it ({@code HTTP/2.0}), or null for the request's own version. */
    default String protocol() {
        return null;
    }

    /** The server timeout of the exchange, lent by the client side so that it can be reused. */
    LazyDeadline serverDeadline();

    /** Whether the frontend or this connection is draining: the response then ends the connection. */
    boolean draining();

    /** Whether the client side has gone, so that a late backend connection is not used. */
    boolean isClosing();

    boolean isWritable();

    /** A response head; {@code toHead}: it answers a HEAD request, so no body follows however it is framed. */
    void writeHead(HttpResponse head, boolean toHead);

    void writeContent(HttpContent content);

    /** Flushes what was written since the last flush, if anything. */
    void flush();

    /** The exchange can take request body parts again, or the backend's writability changed. */
    void readinessChanged();

    /** The exchange ended: it was answered in full, answered locally, or aborted. */
    void exchangeFinished(Exchange exchange);

    /**
     * After a 101 the exchange hands over its backend connection: the client side relays bytes both
     * ways until either closes, and {@code server} gets its connection back then. Returns false when
     * it cannot (requests were pipelined behind the upgrade); the exchange then aborts.
     */
    boolean switchProtocols(Channel backend, BackendServer server);
}
