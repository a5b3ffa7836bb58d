package io.stapled.config;

import java.util.List;

/**
 * A frontend's routes, tried in order, and what answers a request none of them matched when that is
 * not the frontend's default backend ({@link FrontendConfig#backend()}).
 *
 * @param routes   tried in order; the first that matches decides
 * @param fallback a frontend-level {@code redirect} or {@code return} for requests no route matched, or
 *                 null (then the default backend, or 503 when there is none)
 * @param headers  the frontend's {@code request_headers} / {@code response_headers} (with its
 *                 {@code hsts} as the last response rule), applied to every proxied request
 * @param requestId the frontend's {@code request_id}, or null (none)
 * @param maxRequestBody the frontend's {@code max_request_body} in bytes, or -1 (no limit)
 * @param compression the frontend's {@code compression}, or null (none; a route may have its own)
 * @param afterResponse the frontend's {@code after_response_headers}: applied last to every response it
 *                 sends, its own redirects, returns and errors included (HAProxy's {@code http-after-response})
 */
public record RoutingConfig(List<RouteConfig> routes, RouteAction fallback, HeaderRules headers,
                            RequestIdConfig requestId, long maxRequestBody, CompressionConfig compression,
                            List<HeaderRule> afterResponse) {
    private static final RoutingConfig NONE = new RoutingConfig(List.of(), null);

    public RoutingConfig {
        routes = List.copyOf(routes);
        headers = headers == null ? HeaderRules.none() : headers;
        afterResponse = afterResponse == null ? List.of() : List.copyOf(afterResponse);
    }

    /** No header rules, no request id. */
    public RoutingConfig(List<RouteConfig> routes, RouteAction fallback) {
        this(routes, fallback, null, null, -1, null, null);
    }

    /** No routes: everything goes to the default backend. */
    public static RoutingConfig none() {
        return NONE;
    }
}
