package io.stapled.config;

import java.util.List;

import com.google.re2j.Pattern;

/**
 * One test of a route; a route matches when all of its conditions hold, and a condition with a list
 * of values holds when any of them does. Regexes are RE2/J patterns compiled at load, so a bad one is
 * a config error and a hostile Host or path runs in linear time.
 *
 * <p>A new fact a route can test is a new record here, its key in {@code RouteBinder} and its test in
 * the route package's {@code Conditions}, reading what its {@code RouteRequest} says of the request.
 */
public sealed interface RouteCondition {

    /** Host names, each exact or {@code *.suffix} (any depth below the suffix); lower case. */
    record Host(List<String> names) implements RouteCondition {
        public Host {
            names = List.copyOf(names);
        }
    }

    /** The Host (without its port) matches the pattern somewhere; case-insensitive. */
    record HostRegex(Pattern pattern) implements RouteCondition { }

    /** The path (the target up to {@code ?}) is one of these. */
    record Path(List<String> paths) implements RouteCondition {
        public Path {
            paths = List.copyOf(paths);
        }
    }

    /** The path starts with one of these. */
    record PathPrefix(List<String> prefixes) implements RouteCondition {
        public PathPrefix {
            prefixes = List.copyOf(prefixes);
        }
    }

    /** The path matches the pattern somewhere. */
    record PathRegex(Pattern pattern) implements RouteCondition { }

    /** The request method is one of these (upper case, as sent). */
    record Method(List<String> methods) implements RouteCondition {
        public Method {
            methods = List.copyOf(methods);
        }
    }

    /**
     * A header (name case-insensitive) is present; with {@code value}, one of its field lines equals it;
     * with {@code regex}, one of them matches it somewhere.
     */
    record Header(String name, String value, Pattern regex) implements RouteCondition { }

    /** A query parameter (raw, not percent-decoded) is present, equals {@code value} or matches {@code regex}. */
    record Query(String name, String value, Pattern regex) implements RouteCondition { }

    /** The client address is in one of these networks. */
    record Source(List<Cidr> networks) implements RouteCondition {
        public Source {
            networks = List.copyOf(networks);
        }
    }

    /** The TLS server name the client sent, exact or {@code *.suffix}; lower case. */
    record Sni(List<String> names) implements RouteCondition {
        public Sni {
            names = List.copyOf(names);
        }
    }

    /** The TLS server name matches the pattern somewhere; case-insensitive. */
    record SniRegex(Pattern pattern) implements RouteCondition { }

    /** The negotiated TLS version is one of these ({@code TLSv1.2}, {@code TLSv1.3}). */
    record TlsVersion(List<String> versions) implements RouteCondition {
        public TlsVersion {
            versions = List.copyOf(versions);
        }
    }

    /**
     * Whether the client presented a certificate that verified ({@code true}), or did not ({@code false}:
     * none sent, or one that did not verify under {@code client_auth: optional}).
     */
    record ClientVerified(boolean verified) implements RouteCondition { }

    /** The verified client certificate's subject DN (RFC 2253, as logged) is one of these, exactly. */
    record ClientSubject(List<String> subjects) implements RouteCondition {
        public ClientSubject {
            subjects = List.copyOf(subjects);
        }
    }

    /** The verified client certificate's subject DN matches the pattern somewhere. */
    record ClientSubjectRegex(Pattern pattern) implements RouteCondition { }
}
