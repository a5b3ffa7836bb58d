package io.stapled.admin;

import java.util.List;
import java.util.function.Supplier;

/**
 * HAProxy's {@code expose-fd listeners}: {@code show listeners} lists the frontends' listening sockets
 * in a fixed order, {@code _getsocks} passes the same sockets, in the same order, as SCM_RIGHTS
 * descriptors. A process started with {@code --takeover} asks for both and matches the sockets to its
 * frontends by name (and checks each socket's bound address against the list), so the sockets never
 * close and no connection waiting in their accept queues is refused.
 *
 * <p>HAProxy packs names and descriptors into one reply; Netty's epoll channel reads a connection
 * either as bytes or as descriptors, so here the names come over a connection of their own.
 */
final class ListenerCommands {
    private ListenerCommands() { }

    static List<RuntimeCommand> all(Supplier<List<ExportedListener>> listeners) {
        return List.of(
                BasicCommand.sync("show listeners", CliLevel.OPERATOR,
                        "show listeners : list the listening sockets _getsocks passes, in its order",
                        (args, payload, session) -> list(listeners.get())),
                BasicCommand.sync("_getsocks", CliLevel.ADMIN,
                        "_getsocks : pass the listening sockets to the client (stapled run --takeover)",
                        (args, payload, session) -> {
                            List<ExportedListener> now = listeners.get();
                            session.passDescriptors(now.stream().map(ExportedListener::fd).toList());
                            return now.size() + " listeners";
                        }));
    }

    /** One line per socket: its position, the frontend's name, the bound address. */
    static String list(List<ExportedListener> listeners) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < listeners.size(); i++) {
            ExportedListener l = listeners.get(i);
            out.append(i).append(' ').append(l.frontend()).append(' ')
                    .append(Addresses.hostPort(l.address())).append('\n');
        }
        return out.toString();
    }
}
