package io.stapled.proxy.route;

import java.util.ArrayList;
import java.util.List;

/**
 * A run of consecutive routes whose only condition is {@code host}, looked up at once instead of route
 * by route: the exact names in an open-addressing table hashed case-insensitively over the Host's
 * region (so nothing is lower-cased or cut, nothing allocated), the {@code *.suffix} names in route
 * order. The answer is the lowest route index whose names match, which is what trying the routes in
 * order would have found.
 */
final class HostIndex {
    private final String[] keys;
    private final int[] routes;
    private final int mask;
    private final String[] suffixes;
    private final int[] suffixRoutes;

    /**
     * @param names per route of the run, its host names (lower case)
     * @param first the index of the run's first route in the table
     */
    HostIndex(List<List<String>> names, int first) {
        int exactCount = 0;
        for (List<String> n : names) {
            exactCount += n.size();
        }
        int size = Integer.highestOneBit(Math.max(4, exactCount * 2) - 1) << 1;
        keys = new String[size];
        routes = new int[size];
        mask = size - 1;
        List<String> sfx = new ArrayList<>();
        List<Integer> sfxRoutes = new ArrayList<>();
        for (int r = 0; r < names.size(); r++) {
            for (String name : names.get(r)) {
                if (name.startsWith("*.")) {
                    sfx.add(name.substring(1));
                    sfxRoutes.add(first + r);
                } else {
                    put(name, first + r);
                }
            }
        }
        suffixes = sfx.toArray(new String[0]);
        suffixRoutes = sfxRoutes.stream().mapToInt(Integer::intValue).toArray();
    }

    private void put(String name, int route) {
        int slot = hash(name, name.length()) & mask;
        while (keys[slot] != null) {
            if (keys[slot].equals(name)) {
                return; // an earlier route has it already: that one wins
            }
            slot = (slot + 1) & mask;
        }
        keys[slot] = name;
        routes[slot] = route;
    }

    /** ASCII case-insensitive (Host names are ASCII: the request validator refuses anything else). */
    private static int hash(String s, int end) {
        int h = 0;
        for (int i = 0; i < end; i++) {
            char c = s.charAt(i);
            h = 31 * h + (c >= 'A' && c <= 'Z' ? c + 32 : c);
        }
        return h ^ (h >>> 16);
    }

    /** The lowest route index of the run whose names match the request's Host, or -1. */
    int match(RouteRequest request) {
        String host = request.host();
        if (host == null) {
            return -1;
        }
        int end = Conditions.hostEnd(host);
        if (end > 0 && host.charAt(end - 1) == '.') {
            end--;
        }
        int found = Integer.MAX_VALUE;
        int slot = hash(host, end) & mask;
        for (String key; (key = keys[slot]) != null; slot = (slot + 1) & mask) {
            if (key.length() == end && host.regionMatches(true, 0, key, 0, end)) {
                found = routes[slot];
                break;
            }
        }
        for (int i = 0; i < suffixes.length && suffixRoutes[i] < found; i++) {
            String s = suffixes[i];
            int len = s.length();
            if (end > len && host.regionMatches(true, end - len, s, 0, len)) {
                found = suffixRoutes[i];
                break;
            }
        }
        return found == Integer.MAX_VALUE ? -1 : found;
    }
}
