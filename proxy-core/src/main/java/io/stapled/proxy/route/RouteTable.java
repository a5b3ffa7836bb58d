package io.stapled.proxy.route;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

import io.stapled.config.RouteAction;
import io.stapled.config.RouteConfig;
import io.stapled.config.RoutingConfig;

/**
 * A frontend's routes compiled once per config: tried in order, the first whose conditions all hold
 * decides; otherwise the fallback (the default backend, a frontend-level answer, or nothing).
 * Immutable, shared by every event loop; {@link #select} allocates nothing itself (see
 * {@link Conditions} for what a condition may) and returns one of the outcomes made here.
 *
 * @param <B> what a backend name resolves to on the side that uses the table (a pool, or a pool with
 *            its connections)
 */
public final class RouteTable<B> {

    /**
     * What a route decides: a backend, or a local answer ({@link #redirect()} or {@link #answer()}),
     * or neither (no backend to go to: 503).
     */
    public static final class Outcome<B> {
        private final B backend;
        private final String backendName;
        private final RouteAction.Redirect redirect;
        private final RouteAction.Return answer;
        private final byte[] body;

        private Outcome(B backend, String backendName, RouteAction action) {
            this.backend = backend;
            this.backendName = backendName;
            this.redirect = action instanceof RouteAction.Redirect r ? r : null;
            this.answer = action instanceof RouteAction.Return r ? r : null;
            this.body = answer == null ? null : answer.body().getBytes(StandardCharsets.UTF_8);
        }

        /** The backend to proxy to; null for a local answer or when there is none. */
        public B backend() {
            return backend;
        }

        /** The backend's name, or null. */
        public String backendName() {
            return backendName;
        }

        public RouteAction.Redirect redirect() {
            return redirect;
        }

        public RouteAction.Return answer() {
            return answer;
        }

        /** The {@link #answer()}'s body, encoded once; do not modify. */
        public byte[] answerBody() {
            return body;
        }
    }

    private final Condition[][] conditions;
    private final List<Outcome<B>> outcomes;
    private final Outcome<B> fallback;

    private RouteTable(Condition[][] conditions, List<Outcome<B>> outcomes, Outcome<B> fallback) {
        this.conditions = conditions;
        this.outcomes = outcomes;
        this.fallback = fallback;
    }

    /**
     * @param defaultBackend the frontend's default backend name, or null
     * @param backends       resolves a backend name (every name the config references exists)
     */
    public static <B> RouteTable<B> compile(RoutingConfig routing, String defaultBackend, Function<String, B> backends) {
        List<RouteConfig> routes = routing.routes();
        Condition[][] conditions = new Condition[routes.size()][];
        List<Outcome<B>> outcomes = new ArrayList<>(routes.size());
        for (int i = 0; i < routes.size(); i++) {
            RouteConfig route = routes.get(i);
            conditions[i] = route.conditions().stream().map(Conditions::compile).toArray(Condition[]::new);
            outcomes.add(outcome(route.action(), backends));
        }
        Outcome<B> fallback;
        if (routing.fallback() != null) {
            fallback = outcome(routing.fallback(), backends);
        } else if (defaultBackend != null) {
            fallback = new Outcome<>(backends.apply(defaultBackend), defaultBackend, null);
        } else {
            fallback = new Outcome<>(null, null, null);
        }
        return new RouteTable<>(conditions, List.copyOf(outcomes), fallback);
    }

    /** Only a default backend: what a frontend without routes has. */
    public static <B> RouteTable<B> single(String name, B backend) {
        return new RouteTable<>(new Condition[0][], List.of(), new Outcome<>(backend, name, null));
    }

    private static <B> Outcome<B> outcome(RouteAction action, Function<String, B> backends) {
        if (action instanceof RouteAction.UseBackend use) {
            return new Outcome<>(backends.apply(use.backend()), use.backend(), null);
        }
        return new Outcome<>(null, null, action);
    }

    /** The outcome of the first route that matches, else the fallback. Never null. */
    public Outcome<B> select(RouteRequest request) {
        Condition[][] all = conditions;
        for (int i = 0; i < all.length; i++) {
            if (matches(all[i], request)) {
                return outcomes.get(i);
            }
        }
        return fallback;
    }

    private static boolean matches(Condition[] route, RouteRequest request) {
        for (Condition c : route) {
            if (!c.test(request)) {
                return false;
            }
        }
        return true;
    }

    /** Every outcome, the fallback last: to set up what each backend needs before traffic. */
    public List<Outcome<B>> outcomes() {
        List<Outcome<B>> all = new ArrayList<>(outcomes);
        all.add(fallback);
        return all;
    }

    public Outcome<B> fallback() {
        return fallback;
    }
}
