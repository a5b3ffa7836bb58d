package io.stapled.proxy.http;

import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseEncoder;

/**
 * The client-side response encoder. A response to HEAD carries the headers of the body it would have
 * had (possibly {@code Transfer-Encoding: chunked}) but no body, so the encoder must be told not to
 * frame one; the proxy handler sets that flag before writing each response.
 */
final class ProxyResponseEncoder extends HttpResponseEncoder {
    private boolean headResponse;

    void nextResponseIsHead(boolean head) {
        this.headResponse = head;
    }

    @Override
    protected boolean isContentAlwaysEmpty(HttpResponse msg) {
        if (headResponse && msg.status().codeClass() != io.netty.handler.codec.http.HttpStatusClass.INFORMATIONAL) {
            return true;
        }
        return super.isContentAlwaysEmpty(msg);
    }
}
