package io.stapled.admin;

/** The registry of every command stapled answers, over one {@link RuntimeApiContext}. */
public final class StandardCommands {
    private StandardCommands() { }

    /**
     * Every command over {@code context}. {@code worker} runs the commands that compute or touch files
     * (certificate transactions, pushed OCSP responses) one at a time, off the event loops; it must be
     * single-threaded.
     */
    public static CommandRegistry registry(RuntimeApiContext context, java.util.concurrent.Executor worker) {
        CommandRegistry registry = new CommandRegistry();
        registry.registerAll(SessionCommands.all(registry));
        registry.registerAll(InfoCommands.all(context.process()));
        registry.register(StatCommand.command(context.frontends(), context.backends()));
        registry.registerAll(ServerCommands.all(context.backends()));
        registry.registerAll(DynamicServerCommands.all(context.backends()));
        registry.registerAll(OcspCommands.all(context.ocsp(), java.time.Instant::now, worker));
        registry.registerAll(CertCommands.all(context.certificates(), context.ocsp(), worker));
        registry.registerAll(FleetCommands.all(context.fleet(), worker));
        if (context.listeners() != null) {
            registry.registerAll(ListenerCommands.all(context.listeners()));
        }
        return registry;
    }
}
