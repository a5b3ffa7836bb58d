package io.stapled.admin;

import java.util.List;
import java.util.Map;

import io.stapled.proxy.backend.BackendPool;
import io.stapled.proxy.backend.BackendServer;

/** Finds {@code <backend>/<server>} (names, or {@code #id} numbers as HAProxy allows) with HAProxy's errors. */
final class ServerLookup {

    /** A server found, with its pool and configured weight; or the error to print. */
    record Found(BackendPool pool, BackendServer server, int initialWeight, String error) {
        static Found error(String message) {
            return new Found(null, null, 0, message);
        }
    }

    private ServerLookup() { }

    static Found find(Map<String, BackendPool> backends, List<String> args, int index) {
        String arg = index < args.size() ? args.get(index) : "";
        int slash = arg.indexOf('/');
        if (slash < 0 || slash == arg.length() - 1) {
            return Found.error("Require 'backend/server'.\n");
        }
        BackendPool pool = backend(backends, arg.substring(0, slash));
        if (pool == null) {
            return Found.error("No such backend.\n");
        }
        String name = arg.substring(slash + 1);
        BackendServer server = null;
        Integer id = numericId(name);
        for (BackendServer s : pool.servers()) {
            if (id != null ? s.id() == id : s.name().equals(name)) {
                server = s;
                break;
            }
        }
        if (server == null) {
            return Found.error("No such server.\n");
        }
        return new Found(pool, server, server.initialWeight(), null);
    }

    static BackendPool backend(Map<String, BackendPool> backends, String name) {
        Integer id = numericId(name);
        if (id == null) {
            return backends.get(name);
        }
        int i = 1;
        for (BackendPool p : backends.values()) {
            if (i++ == id) {
                return p;
            }
        }
        return null;
    }

    private static Integer numericId(String s) {
        if (s.length() < 2 || s.charAt(0) != '#') {
            return null;
        }
        try {
            return Integer.parseInt(s.substring(1));
        } catch (NumberFormatException e) {
            return null;
        }
    }
}
