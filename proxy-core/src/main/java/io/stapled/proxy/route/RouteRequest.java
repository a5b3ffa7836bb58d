package io.stapled.proxy.route;

import java.net.InetAddress;

import io.netty.handler.codec.http.HttpHeaders;

import io.stapled.tls.ClientCertificate;

/**
 * What a route can test of a request (or, in TCP mode, of a connection: the HTTP methods are then
 * never asked, the binder refuses those conditions). Implemented by the object that already holds the
 * request, so routing allocates no view of it; the TLS facts may be computed when first asked.
 *
 * <p>A new fact of the request or connection is a new method here.
 */
public interface RouteRequest {

    /** The method as sent, e.g. {@code GET}. */
    String methodName();

    /** The Host header as sent (possibly with a port), or null. */
    String host();

    /** The request target in origin form ({@code /path?query}), or {@code *}. */
    String uri();

    HttpHeaders headers();

    /** The client address, or null when not an IP address. */
    InetAddress source();

    /** The TLS server name the client sent (lower case), or null (none sent, or no TLS). */
    String sni();

    /** The negotiated TLS version ({@code TLSv1.3}), or null without TLS. */
    String tlsVersion();

    /**
     * The client certificate of the connection (for an HTTP/2 stream, of its parent connection), or null
     * when none was sent or asked for; {@link ClientCertificate#verified()} says whether it verified.
     */
    ClientCertificate clientCertificate();
}
