package io.stapled.proxy.http;

import io.netty.handler.codec.http.HttpObject;

/** The exchange currently using a backend connection; it receives what the backend sends. */
interface BackendListener {

    /** A decoded response part; ownership passes to the listener. */
    void onBackendMessage(HttpObject msg);

    void onBackendReadComplete();

    void onBackendWritabilityChanged();

    /** The connection closed or failed; {@code cause} is null on a plain close. */
    void onBackendClosed(Throwable cause);
}
