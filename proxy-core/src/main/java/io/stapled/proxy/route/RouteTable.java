package io.stapled.proxy.route;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

import io.stapled.config.CompressionConfig;
import io.stapled.config.HeaderRules;
import io.stapled.config.PathRewrite;
import io.stapled.config.RouteAction;
import io.stapled.config.RouteCondition;
import io.stapled.config.RouteConfig;
import io.stapled.config.RoutingConfig;
import io.stapled.proxy.headers.HeaderRewriter;

/**
 * A frontend's routes compiled once per config: tried in order, the first whose conditions all hold
 * decides; otherwise the fallback (the default backend, a frontend-level answer, or nothing). A run of
 * routes that test only the Host is looked up at once ({@link HostIndex}), with the same answer.
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
        private final HeaderRewriter requestRules;
        private final HeaderRewriter responseRules;
        private final PathRewrite pathRewrite;
        private final long maxRequestBody;
        private final CompressionConfig compression;

        private Outcome(B backend, String backendName, RouteAction action) {
            this(backend, backendName, action, HeaderRules.none(), null, -1, null);
        }

        private Outcome(B backend, String backendName, RouteAction action, HeaderRules headers,
                        PathRewrite pathRewrite, long maxRequestBody, CompressionConfig compression) {
            this.compression = compression;
            this.pathRewrite = pathRewrite;
            this.maxRequestBody = maxRequestBody;
            this.requestRules = HeaderRewriter.request(headers);
            this.responseRules = HeaderRewriter.response(headers);
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

        /** The route's own request header rules (none for the fallback: the frontend's apply to all). */
        public HeaderRewriter requestRules() {
            return requestRules;
        }

        /** The route's {@code strip_prefix} / {@code replace_prefix}, or null. */
        public PathRewrite pathRewrite() {
            return pathRewrite;
        }

        /** The route's {@code max_request_body} in bytes, or -1 (the frontend's applies). */
        public long maxRequestBody() {
            return maxRequestBody;
        }

        /** The route's {@code compression} (instead of the frontend's), or null (the frontend's applies). */
        public CompressionConfig compression() {
            return compression;
        }

        /** The route's own response header rules. */
        public HeaderRewriter responseRules() {
            return responseRules;
        }

        /** The {@link #answer()}'s body, encoded once; do not modify. */
        public byte[] answerBody() {
            return body;
        }
    }

    /** Runs of at least this many host-only routes are looked up in a {@link HostIndex}. */
    static final int INDEX_RUN = 4;

    private final Condition[][] conditions;
    /** Per route: the index of its run, or null when the route is tried on its own. */
    private final HostIndex[] runs;
    /** Per route in a run: the index of the route after the run. */
    private final int[] runEnds;
    private final List<Outcome<B>> outcomes;
    private final Outcome<B> fallback;

    private RouteTable(Condition[][] conditions, HostIndex[] runs, int[] runEnds, List<Outcome<B>> outcomes,
                       Outcome<B> fallback) {
        this.conditions = conditions;
        this.runs = runs;
        this.runEnds = runEnds;
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
            outcomes.add(outcome(route, backends));
        }
        Outcome<B> fallback;
        if (routing.fallback() != null) {
            fallback = new Outcome<>(null, null, routing.fallback());
        } else if (defaultBackend != null) {
            fallback = new Outcome<>(backends.apply(defaultBackend), defaultBackend, null);
        } else {
            fallback = new Outcome<>(null, null, null);
        }
        HostIndex[] runs = new HostIndex[routes.size()];
        int[] runEnds = new int[routes.size()];
        for (int i = 0; i < routes.size(); ) {
            int end = i;
            List<List<String>> names = new ArrayList<>();
            while (end < routes.size() && hostOnly(routes.get(end)) != null) {
                names.add(hostOnly(routes.get(end)));
                end++;
            }
            if (end - i >= INDEX_RUN) {
                HostIndex index = new HostIndex(names, i);
                for (int r = i; r < end; r++) {
                    runs[r] = index;
                    runEnds[r] = end;
                }
            }
            i = Math.max(end, i + 1);
        }
        return new RouteTable<>(conditions, runs, runEnds, List.copyOf(outcomes), fallback);
    }

    /** The host names of a route whose only condition is {@code host}, else null. */
    private static List<String> hostOnly(RouteConfig route) {
        return route.conditions().size() == 1 && route.conditions().get(0) instanceof RouteCondition.Host h
                ? h.names() : null;
    }

    /** Only a default backend: what a frontend without routes has. */
    public static <B> RouteTable<B> single(String name, B backend) {
        return new RouteTable<>(new Condition[0][], new HostIndex[0], new int[0], List.of(),
                new Outcome<>(backend, name, null));
    }

    private static <B> Outcome<B> outcome(RouteConfig route, Function<String, B> backends) {
        RouteAction action = route.action();
        if (action instanceof RouteAction.UseBackend use) {
            return new Outcome<>(backends.apply(use.backend()), use.backend(), null, route.headers(),
                    route.pathRewrite(), route.maxRequestBody(), route.compression());
        }
        return new Outcome<>(null, null, action);
    }

    /** The outcome of the first route that matches, else the fallback. Never null. */
    public Outcome<B> select(RouteRequest request) {
        Condition[][] all = conditions;
        for (int i = 0; i < all.length; ) {
            HostIndex run = runs[i];
            if (run != null) {
                int hit = run.match(request);
                if (hit >= 0) {
                    return outcomes.get(hit);
                }
                i = runEnds[i];
            } else if (matches(all[i], request)) {
                return outcomes.get(i);
            } else {
                i++;
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
