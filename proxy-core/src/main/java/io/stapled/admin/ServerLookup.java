package io.stapled.admin;

import java.util.List;
import java.util.Map;

import io.stapled.config.BackendConfig;
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
        List<BackendServer> servers = pool.servers();
        BackendServer server = null;
        int index0 = -1;
        Integer id = numericId(name);
        for (int i = 0; i < servers.size(); i++) {
            if (id != null ? i + 1 == id : servers.get(i).name().equals(name)) {
                server = servers.get(i);
                index0 = i;
                break;
            }
        }
        if (server == null) {
            return Found.error("No such server.\n");
        }
        BackendConfig.ServerConfig sc = pool.config().servers().get(index0);
        return new Found(pool, server, sc.weight(), null);
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
