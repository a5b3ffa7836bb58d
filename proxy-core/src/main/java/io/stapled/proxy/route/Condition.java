package io.stapled.proxy.route;

/** One compiled test of a route; immutable and shared by all event loops. */
interface Condition {
    boolean test(RouteRequest request);
}
