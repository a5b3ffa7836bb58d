package io.stapled.cli;

import picocli.CommandLine;
import picocli.CommandLine.IExecutionExceptionHandler;
import picocli.CommandLine.ParseResult;

/** Start-up failures are one clear line (or one line per config error), not a stack trace. */
final class CliErrorHandler implements IExecutionExceptionHandler {
    @Override
    public int handleExecutionException(Exception e, CommandLine cmd, ParseResult parsed) {
        cmd.getErr().println("stapled: " + e.getMessage());
        if (Boolean.getBoolean("stapled.debug")) {
            e.printStackTrace(cmd.getErr());
        }
        return 1;
    }
}
