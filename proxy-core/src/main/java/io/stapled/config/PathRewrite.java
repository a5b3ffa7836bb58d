package io.stapled.config;

/**
 * A route's {@code strip_prefix} or {@code replace_prefix}: the path prefix the backend does not see
 * and what stands in for it (HAProxy's {@code http-request replace-path} with a {@code ^/prefix}
 * regex). A prefix matches whole segments: {@code /api} matches {@code /api} and {@code /api/x}, not
 * {@code /apix}; a prefix ending in {@code /} matches what it says.
 *
 * @param prefix      starts with {@code /}
 * @param replacement what replaces it ({@code ""} to strip)
 */
public record PathRewrite(String prefix, String replacement) {

    /**
     * The request target with the prefix of its path replaced, or {@code uri} itself when the path
     * does not start with the prefix. An empty result path becomes {@code /}.
     */
    public String apply(String uri) {
        int start = pathStart(uri);
        if (start < 0 || !uri.startsWith(prefix, start)) {
            return uri;
        }
        int end = start + prefix.length();
        if (!prefix.endsWith("/") && end < uri.length() && uri.charAt(end) != '/' && uri.charAt(end) != '?') {
            return uri; // /api against /apix
        }
        String rest = uri.substring(end);
        String path = replacement + rest;
        if (path.isEmpty() || path.charAt(0) != '/') {
            path = "/" + path;
        }
        return uri.substring(0, start) + path;
    }

    /** Where the path begins: 0 in origin form, after the authority in absolute form; -1 for neither. */
    private static int pathStart(String uri) {
        if (uri.startsWith("/")) {
            return 0;
        }
        int scheme = uri.indexOf("://");
        if (scheme < 0) {
            return -1;
        }
        int slash = uri.indexOf('/', scheme + 3);
        return slash;
    }
}
