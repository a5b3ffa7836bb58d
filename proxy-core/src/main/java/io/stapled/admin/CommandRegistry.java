package io.stapled.admin;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The commands a runtime API server answers. A command line selects the command whose words are the
 * longest prefix of it; anything else gets HAProxy's usage message.
 */
public final class CommandRegistry {
    /** HAProxy always appends these three lines to a usage message. */
    static final String FIXED_USAGE =
            "  help [<command>]                        : list matching or all commands\n"
            + "  prompt [help | n | i | p | timed ]*     : toggle interactive mode with prompt\n"
            + "  quit                                    : disconnect\n";

    private final Map<String, RuntimeCommand> byWords = new TreeMap<>();

    public CommandRegistry register(RuntimeCommand command) {
        String key = String.join(" ", command.words());
        if (byWords.putIfAbsent(key, command) != null) {
            throw new IllegalArgumentException("runtime API command '" + key + "' is registered twice");
        }
        return this;
    }

    public CommandRegistry registerAll(Collection<? extends RuntimeCommand> commands) {
        commands.forEach(this::register);
        return this;
    }

    public Collection<RuntimeCommand> commands() {
        return byWords.values();
    }

    /** The command for {@code args}, or null. */
    public RuntimeCommand find(List<String> args) {
        RuntimeCommand best = null;
        for (RuntimeCommand c : byWords.values()) {
            List<String> w = c.words();
            if (w.size() <= args.size() && args.subList(0, w.size()).equals(w)
                    && (best == null || w.size() > best.words().size())) {
                best = c;
            }
        }
        return best;
    }

    /** {@code help [words...]}: the commands matching the words, or all of them. */
    public String help(List<String> words) {
        List<RuntimeCommand> matching = matching(words);
        if (matching.isEmpty()) {
            matching = visible();
        }
        return "The following commands are valid at this level:\n" + lines(matching);
    }

    /** HAProxy's reply to an unknown command. */
    public String unknown(List<String> args) {
        StringBuilder sb = new StringBuilder("Unknown command: '");
        sb.append(args.isEmpty() ? "" : args.get(0)).append('\'');
        List<RuntimeCommand> partial = args.isEmpty() ? List.of() : matching(args);
        if (partial.isEmpty()) {
            sb.append(". Please enter one of the following commands only:\n").append(lines(visible()));
        } else {
            sb.append(", but maybe one of the following ones is a better match:\n").append(lines(partial));
        }
        return sb.toString();
    }

    /** Commands sharing the longest run of leading words with {@code args}. */
    private List<RuntimeCommand> matching(List<String> args) {
        int longest = 0;
        for (RuntimeCommand c : visible()) {
            longest = Math.max(longest, commonPrefix(c.words(), args));
        }
        List<RuntimeCommand> out = new ArrayList<>();
        if (longest == 0) {
            return out;
        }
        for (RuntimeCommand c : visible()) {
            if (commonPrefix(c.words(), args) == longest) {
                out.add(c);
            }
        }
        return out;
    }

    private static int commonPrefix(List<String> words, List<String> args) {
        int i = 0;
        while (i < words.size() && i < args.size() && words.get(i).equals(args.get(i))) {
            i++;
        }
        return i;
    }

    private List<RuntimeCommand> visible() {
        List<RuntimeCommand> out = new ArrayList<>();
        for (RuntimeCommand c : byWords.values()) {
            if (c.usage() != null) {
                out.add(c);
            }
        }
        return out;
    }

    private static String lines(List<RuntimeCommand> commands) {
        List<RuntimeCommand> sorted = new ArrayList<>(commands);
        sorted.removeIf(c -> c.usage() == null);
        sorted.sort(Comparator.comparing(RuntimeCommand::usage));
        StringBuilder sb = new StringBuilder();
        for (RuntimeCommand c : sorted) {
            sb.append("  ").append(c.usage()).append('\n');
        }
        return sb.append(FIXED_USAGE).toString();
    }
}
