package io.stapled.config;

import java.util.List;

/**
 * A frontend's routes, tried in order, and what answers a request none of them matched when that is
 * not the frontend's default backend ({@link FrontendConfig#backend()}).
 *
 * @param routes   tried in order; the first that matches decides
 * @param fallback a frontend-level {@code redirect} or {@code return} for requests no route matched, or
 *                 null (then the default backend, or 503 when there is none)
 */
public record RoutingConfig(List<RouteConfig> routes, RouteAction fallback) {
    private static final RoutingConfig NONE = new RoutingConfig(List.of(), null);

    public RoutingConfig {
        routes = List.copyOf(routes);
    }

    /** No routes: everything goes to the default backend. */
    public static RoutingConfig none() {
        return NONE;
    }
}
