package io.stapled.admin;

/**
 * One command read from a runtime API connection.
 *
 * @param command     the command text, escapes still in place
 * @param payload     the {@code <<} payload, or null
 * @param lastOnLine  true for the last command of its line (a non-interactive connection closes after it)
 */
record CliRequest(String command, String payload, boolean lastOnLine) { }
