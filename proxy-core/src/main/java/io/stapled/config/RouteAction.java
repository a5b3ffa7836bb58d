package io.stapled.config;

/** What a route (or a frontend, for requests no route matched) does with a request. */
public sealed interface RouteAction {

    /** Proxy to the named backend. */
    record UseBackend(String backend) implements RouteAction { }

    /**
     * Answer with a redirect, as HAProxy's {@code http-request redirect}.
     *
     * @param kind      how {@code target} makes the Location
     * @param target    the scheme ({@code https}), the location, or the prefix
     * @param code      301, 302, 303, 307 or 308
     * @param dropQuery leave the request's query string out (scheme and prefix only)
     */
    record Redirect(Kind kind, String target, int code, boolean dropQuery) implements RouteAction {
        public enum Kind {
            /** {@code <scheme>://<Host><path>[?query]}. */
            SCHEME,
            /** The target as written. */
            LOCATION,
            /** {@code <prefix><path>[?query]}. */
            PREFIX
        }
    }

    /**
     * Answer locally, as HAProxy's {@code http-request return}.
     *
     * @param status      200 to 599
     * @param contentType the Content-Type, or null when there is no body
     * @param body        the body (UTF-8), empty for none
     */
    record Return(int status, String contentType, String body) implements RouteAction { }
}
