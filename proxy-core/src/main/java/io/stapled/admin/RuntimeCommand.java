package io.stapled.admin;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * One runtime API command (or one family sharing its first words), registered in a
 * {@link CommandRegistry}.
 *
 * <p>{@link #execute} runs on the connection's event loop: it must not block. Work that waits (a
 * fetch from an OCSP responder) returns a stage completed later; the reply is written when it
 * completes and the next command of the connection waits for it.
 */
public interface RuntimeCommand {

    /** The words that select this command, e.g. {@code [show, info]}. */
    List<String> words();

    /** The lowest level allowed to run it; others get {@code Permission denied}. */
    CliLevel level();

    /** The line shown by {@code help}, in HAProxy's {@code "usage : description"} layout; null hides it. */
    String usage();

    /**
     * Runs the command.
     *
     * @param args    every word of the command line, the command's own words included, unescaped
     * @param payload the text after a {@code <<} line (lines joined with LF, no final LF), or null
     * @param session the connection's state
     * @return the reply text: empty or lines each ending with LF; never containing an empty line
     */
    CompletionStage<String> execute(List<String> args, String payload, CliSession session);

    static CompletionStage<String> reply(String text) {
        return CompletableFuture.completedFuture(text);
    }
}
