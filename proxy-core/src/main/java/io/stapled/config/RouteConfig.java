package io.stapled.config;

import java.util.List;

/**
 * One entry of a frontend's {@code routes:}: when every condition holds (no conditions: always), the
 * action decides the request.
 *
 * @param conditions all must hold
 * @param action     a backend, a redirect or a local answer
 * @param origin     where the route was written, for messages
 * @param headers    the route's own header rules, applied after the frontend's to the request and
 *                   before them to the response (as a HAProxy backend's rules are)
 * @param pathRewrite the route's {@code strip_prefix} / {@code replace_prefix}, or null
 * @param maxRequestBody the route's {@code max_request_body} in bytes (instead of the frontend's), or
 *                   -1 (the frontend's)
 * @param compression the route's {@code compression} (instead of the frontend's; {@link CompressionConfig#OFF}
 *                   for none), or null (the frontend's)
 */
public record RouteConfig(List<RouteCondition> conditions, RouteAction action, ConfigOrigin origin,
                          HeaderRules headers, PathRewrite pathRewrite, long maxRequestBody,
                          CompressionConfig compression) {
    public RouteConfig {
        conditions = List.copyOf(conditions);
        headers = headers == null ? HeaderRules.none() : headers;
    }

    public RouteConfig(List<RouteCondition> conditions, RouteAction action, ConfigOrigin origin) {
        this(conditions, action, origin, null, null, -1, null);
    }

    public RouteConfig(List<RouteCondition> conditions, RouteAction action, ConfigOrigin origin,
                       HeaderRules headers) {
        this(conditions, action, origin, headers, null, -1, null);
    }

    /** No conditions: every request matches. */
    public boolean catchAll() {
        return conditions.isEmpty();
    }
}
