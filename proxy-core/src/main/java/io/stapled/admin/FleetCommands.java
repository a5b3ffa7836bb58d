package io.stapled.admin;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;

/** {@code show fleet}: stapled's own command (HAProxy has no fleet), answered off the event loops. */
final class FleetCommands {
    static final String NO_FLEET = "This instance is not in a fleet (no fleet section in its config).\n";

    private FleetCommands() { }

    static List<RuntimeCommand> all(FleetAdmin fleet, Executor worker) {
        return List.of(BasicCommand.async("show fleet", CliLevel.OPERATOR,
                "show fleet                              : show the fleet: Redis, members, counters, lease holders and last sync per certificate",
                (args, payload, s) -> fleet == null ? RuntimeCommand.reply(NO_FLEET)
                        : CompletableFuture.supplyAsync(() -> format(fleet.snapshot()), worker)));
    }

    static String format(FleetAdmin.Snapshot f) {
        StringBuilder sb = new StringBuilder();
        sb.append("node: ").append(f.node()).append('\n');
        sb.append("redis: ").append(f.url()).append(' ').append(f.connected() ? "connected" : "unreachable")
                .append(" since ").append(f.since());
        if (!f.connected() && f.problem() != null) {
            sb.append(" (").append(f.problem()).append(')');
        }
        sb.append('\n');
        sb.append("members: ").append(f.members().isEmpty() ? "-" : String.join(" ", f.members())).append('\n');
        f.counters().forEach((k, v) -> sb.append(k).append(": ").append(v).append('\n'));
        sb.append("# certificate lease_holder last_sync\n");
        for (FleetAdmin.CertificateLine c : f.certificates()) {
            sb.append(c.id()).append(' ').append(c.leaseHolder() == null ? "-" : c.leaseHolder()).append(' ')
                    .append(c.lastSync() == null ? "-" : c.lastSync().toString()).append('\n');
        }
        return sb.toString();
    }
}
