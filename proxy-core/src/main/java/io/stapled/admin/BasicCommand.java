package io.stapled.admin;

import java.util.List;
import java.util.concurrent.CompletionStage;

/** A {@link RuntimeCommand} made of its words, level, usage line and an action. */
public final class BasicCommand implements RuntimeCommand {

    /** What the command does; see {@link RuntimeCommand#execute}. */
    @FunctionalInterface
    public interface Action {
        CompletionStage<String> run(List<String> args, String payload, CliSession session);
    }

    /** An action whose reply is ready at once. */
    @FunctionalInterface
    public interface SyncAction {
        String run(List<String> args, String payload, CliSession session);
    }

    private final List<String> words;
    private final CliLevel level;
    private final String usage;
    private final Action action;

    private BasicCommand(List<String> words, CliLevel level, String usage, Action action) {
        this.words = List.copyOf(words);
        this.level = level;
        this.usage = usage;
        this.action = action;
    }

    /** {@code words} is the command's words separated by single spaces, e.g. {@code "show info"}. */
    public static BasicCommand async(String words, CliLevel level, String usage, Action action) {
        return new BasicCommand(List.of(words.split(" ")), level, usage, action);
    }

    public static BasicCommand sync(String words, CliLevel level, String usage, SyncAction action) {
        return async(words, level, usage, (a, p, s) -> RuntimeCommand.reply(action.run(a, p, s)));
    }

    @Override
    public List<String> words() {
        return words;
    }

    @Override
    public CliLevel level() {
        return level;
    }

    @Override
    public String usage() {
        return usage;
    }

    @Override
    public CompletionStage<String> execute(List<String> args, String payload, CliSession session) {
        return action.run(args, payload, session);
    }

    @Override
    public String toString() {
        return String.join(" ", words);
    }
}
