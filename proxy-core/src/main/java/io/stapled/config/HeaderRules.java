package io.stapled.config;

import java.util.List;

/**
 * The header rules of a frontend or of a route.
 *
 * @param request  applied to the request before it is forwarded
 * @param response applied to a backend's final response before it is written to the client
 */
public record HeaderRules(List<HeaderRule> request, List<HeaderRule> response) {
    private static final HeaderRules NONE = new HeaderRules(List.of(), List.of());

    public HeaderRules {
        request = List.copyOf(request);
        response = List.copyOf(response);
    }

    public static HeaderRules none() {
        return NONE;
    }

    public boolean isEmpty() {
        return request.isEmpty() && response.isEmpty();
    }
}
