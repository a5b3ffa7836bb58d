package io.stapled.config;

import java.util.List;

/**
 * One entry of a frontend's {@code routes:}: when every condition holds (no conditions: always), the
 * action decides the request.
 *
 * @param conditions all must hold
 * @param action     a backend, a redirect or a local answer
 * @param origin     where the route was written, for messages
 */
public record RouteConfig(List<RouteCondition> conditions, RouteAction action, ConfigOrigin origin) {
    public RouteConfig {
        conditions = List.copyOf(conditions);
    }

    /** No conditions: every request matches. */
    public boolean catchAll() {
        return conditions.isEmpty();
    }
}
