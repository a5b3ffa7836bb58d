package io.stapled.proxy.http;

import java.net.InetSocketAddress;

import io.netty.channel.Channel;
import io.netty.handler.codec.http.HttpRequest;

import io.stapled.proxy.headers.HeaderRequest;

/** What an {@link HttpRequestObserver} is told of a finished request. Read it during the call only. */
public interface CompletedRequest {

    /** The client's address as text, {@code -} when unknown. */
    String clientIp();

    /** Wall-clock time the request head arrived (or, with no request, the refusal was sent). */
    long startMillis();

    /** The request head as forwarded, or null when the connection ended before one was read (a 408). */
    HttpRequest request();

    /** The protocol the client spoke, as in a request line ({@code HTTP/1.1}, {@code HTTP/2.0}); {@code -} without a request. */
    default String protocol() {
        HttpRequest request = request();
        return request == null ? "-" : request.protocolVersion().text();
    }

    /** The status sent to the client (0 when none was sent). */
    int status();

    /** Body bytes of the response relayed to the client. */
    long responseBytes();

    /**
     * For a compressed response, the body bytes the backend sent ({@link #responseBytes()} is then what the
     * client got); -1 when the response was not compressed.
     */
    default long uncompressedBytes() {
        return -1;
    }

    /** The backend server that answered, or null when none was picked. */
    String serverName();

    /**
     * True when the proxy refused the request itself, the client's fault: invalid (400, 431...) or too
     * slow (408). HAProxy's {@code ereq}.
     */
    default boolean refused() {
        return false;
    }

    /** The request target as the client sent it (before a route's path rewrite), or null without a request. */
    default String requestUri() {
        return request() == null ? null : request().uri();
    }

    /** The request's unique id ({@code request_id}), or null when the frontend gives none. */
    default String requestId() {
        return null;
    }

    /** The backend server {@link #serverName()} names, or null. */
    default io.stapled.proxy.backend.BackendServer server() {
        return null;
    }

    /** The client certificate of the connection, or null when it sent none (or none was asked for). */
    default io.stapled.tls.ClientCertificate clientCertificate() {
        return null;
    }

    /** From the request head to the end of the response. */
    long durationNanos();

    /** The client's address and port (the PROXY header's when there was one), or null when unknown. */
    default InetSocketAddress clientAddress() {
        return null;
    }

    /** The client connection (for HTTP/2 the connection, not the stream), or null. */
    default Channel connection() {
        return null;
    }

    /** From the request head to holding a backend connection (retries included), or -1 without one. */
    default long connectNanos() {
        return -1;
    }

    /** From the request head to the backend's response head, or -1 when none came. */
    default long responseHeadNanos() {
        return -1;
    }

    /** Body bytes of the request forwarded to the backend. */
    default long requestBytes() {
        return 0;
    }

    /** The request as a header template reads it, for the access log's {@code %[fetch]}; null without one. */
    default HeaderRequest fetchSource() {
        return null;
    }
}
