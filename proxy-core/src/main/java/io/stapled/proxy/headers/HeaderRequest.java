package io.stapled.proxy.headers;

import io.netty.channel.Channel;
import io.netty.handler.codec.http.HttpHeaders;

/** What a header template reads of the request it is applied for. */
public interface HeaderRequest {

    /** The client connection (for HTTP/2, the connection, not the stream). */
    Channel connection();

    /** The request's headers, as they are when the template is evaluated. */
    HttpHeaders requestHeaders();

    /** The request's unique id ({@code %[unique-id]}), made on first use. */
    String uniqueId();
}
