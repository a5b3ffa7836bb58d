package io.stapled.admin;

import java.time.Duration;
import java.util.List;

import io.netty.channel.unix.FileDescriptor;

/**
 * The state of one runtime API connection: its level (which can only go down) and its mode. Confined
 * to the connection's event loop; commands read and change it while they run there.
 */
public final class CliSession {
    /** HAProxy's three modes: one line then close; many lines, no prompt; many lines with a prompt. */
    public enum Mode { NON_INTERACTIVE, INTERACTIVE, PROMPT }

    private CliLevel level;
    private Mode mode = Mode.NON_INTERACTIVE;
    private boolean timedPrompt;
    private boolean quit;
    private List<FileDescriptor> descriptors;
    private Duration idleTimeout;

    public CliSession(CliLevel level, Duration idleTimeout) {
        this.level = level;
        this.idleTimeout = idleTimeout;
    }

    public CliLevel level() {
        return level;
    }

    /** Lowers the level; returns false (and changes nothing) if {@code next} is above the current one. */
    public boolean lowerLevel(CliLevel next) {
        if (!level.allows(next)) {
            return false;
        }
        level = next;
        return true;
    }

    public Mode mode() {
        return mode;
    }

    public void mode(Mode next) {
        mode = next;
    }

    public boolean interactive() {
        return mode != Mode.NON_INTERACTIVE;
    }

    public boolean timedPrompt() {
        return timedPrompt;
    }

    public void timedPrompt(boolean on) {
        timedPrompt = on;
    }

    /** Asks for the connection to close once the current command's output is written. */
    public void quit() {
        quit = true;
    }

    public boolean quitRequested() {
        return quit;
    }

    /**
     * Asks for {@code fds} to be passed to the client (SCM_RIGHTS, one per message) instead of the
     * command's text, then the connection closed: the client reads descriptors only, so it must not
     * get a text reply or an end-of-output marker.
     */
    public void passDescriptors(List<FileDescriptor> fds) {
        descriptors = List.copyOf(fds);
    }

    /** The descriptors asked for by {@link #passDescriptors}, or null. */
    List<FileDescriptor> descriptorsToPass() {
        return descriptors;
    }

    public Duration idleTimeout() {
        return idleTimeout;
    }

    public void idleTimeout(Duration timeout) {
        idleTimeout = timeout;
    }
}
