package io.stapled.admin;

/** The registry of every command stapled answers, over one {@link RuntimeApiContext}. */
public final class StandardCommands {
    private StandardCommands() { }

    public static CommandRegistry registry(RuntimeApiContext context) {
        CommandRegistry registry = new CommandRegistry();
        registry.registerAll(SessionCommands.all(registry));
        registry.registerAll(InfoCommands.all(context.process()));
        registry.register(StatCommand.command(context.frontends(), context.backends()));
        registry.registerAll(ServerCommands.all(context.backends()));
        registry.registerAll(OcspCommands.all(context.ocsp(), java.time.Instant::now));
        return registry;
    }
}
