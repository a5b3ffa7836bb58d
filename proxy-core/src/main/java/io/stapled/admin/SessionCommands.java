package io.stapled.admin;

import java.time.Duration;
import java.util.List;

/** The commands about the connection itself: help, prompt, quit, level, timeout, echo. */
final class SessionCommands {
    static final String PROMPT_USAGE =
            "Usage: prompt [help | n | i | p | timed]*\n"
            + "Changes the default prompt and interactive mode. Available options:\n"
            + "  help    display this help\n"
            + "  n       set to single-command mode (no prompt, single command)\n"
            + "  i       set to interactive mode only (no prompt, multi-command)\n"
            + "  p       set to prompt+interactive mode (prompt + multi-command)\n"
            + "  timed   toggle displaying the current date in the prompt\n"
            + "Without any argument, toggles between n/i->p, p->n.\n";

    private SessionCommands() { }

    static List<RuntimeCommand> all(CommandRegistry registry) {
        return List.of(
                // help, prompt and quit are always listed by the usage message itself, as in HAProxy.
                BasicCommand.sync("help", CliLevel.USER, null,
                        (args, payload, s) -> registry.help(args.subList(1, args.size()))),
                BasicCommand.sync("prompt", CliLevel.USER, null, SessionCommands::prompt),
                BasicCommand.sync("quit", CliLevel.USER, null, (args, payload, s) -> {
                    s.quit();
                    return "";
                }),
                BasicCommand.sync("operator", CliLevel.USER,
                        "operator                                : lower the level of the current CLI session to operator",
                        (args, payload, s) -> s.lowerLevel(CliLevel.OPERATOR) ? "" : "Permission denied\n"),
                BasicCommand.sync("user", CliLevel.USER,
                        "user                                    : lower the level of the current CLI session to user",
                        (args, payload, s) -> s.lowerLevel(CliLevel.USER) ? "" : "Permission denied\n"),
                BasicCommand.sync("show cli level", CliLevel.USER,
                        "show cli level                          : display the level of the current CLI session",
                        (args, payload, s) -> s.level().word() + "\n"),
                BasicCommand.sync("set timeout cli", CliLevel.USER,
                        "set timeout cli <delay>                 : change the CLI's idle timeout (seconds) for this connection",
                        SessionCommands::setTimeout),
                BasicCommand.sync("echo", CliLevel.USER,
                        "echo <text>                             : print text to the output",
                        (args, payload, s) -> String.join(" ", args.subList(1, args.size())) + "\n"));
    }

    private static String prompt(List<String> args, String payload, CliSession s) {
        int mode = 0;
        boolean timed = false;
        for (String a : args.subList(1, args.size())) {
            switch (a) {
                case "n" -> mode = 1;
                case "i" -> mode = 2;
                case "p" -> mode = 3;
                case "timed" -> timed = true;
                case "help" -> {
                    return PROMPT_USAGE;
                }
                default -> {
                    return PROMPT_USAGE;
                }
            }
        }
        if (timed) {
            s.timedPrompt(!s.timedPrompt());
            mode = mode == 0 ? 3 : mode;
        }
        if (mode != 0) {
            s.mode(mode == 3 ? CliSession.Mode.PROMPT : mode == 2 ? CliSession.Mode.INTERACTIVE
                    : CliSession.Mode.NON_INTERACTIVE);
        } else if (s.mode() != CliSession.Mode.PROMPT) {
            s.mode(CliSession.Mode.PROMPT);
        } else {
            s.mode(CliSession.Mode.NON_INTERACTIVE);
        }
        return "";
    }

    private static String setTimeout(List<String> args, String payload, CliSession s) {
        if (args.size() < 4) {
            return "Expects an integer value.\n";
        }
        long seconds;
        try {
            seconds = Long.parseLong(args.get(3));
        } catch (NumberFormatException e) {
            return "Invalid timeout value.\n";
        }
        if (seconds < 1 || seconds > Integer.MAX_VALUE / 1000) {
            return "Invalid timeout value.\n";
        }
        s.idleTimeout(Duration.ofSeconds(seconds));
        return "";
    }
}
