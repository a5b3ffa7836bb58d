package io.stapled.admin;

/** Input the runtime API refuses outright (a line or payload too big, a payload cut short): reply, then close. */
record CliProtocolError(String message) { }
