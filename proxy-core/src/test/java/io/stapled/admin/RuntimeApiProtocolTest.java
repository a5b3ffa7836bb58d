package io.stapled.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import io.stapled.config.RuntimeApiConfig;
import io.stapled.net.Transport;
import io.stapled.testing.ExternalTool;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The runtime API text protocol over a real unix socket: modes, chaining, payloads, limits, levels. */
@Timeout(20)
class RuntimeApiProtocolTest {
    private static final Duration IDLE = Duration.ofMillis(700);
    private static final int MAX_PAYLOAD = 4096;
    private static ScheduledExecutorService timer;

    @TempDir
    Path dir;
    private io.netty.channel.EventLoopGroup group;
    private RuntimeApiServer server;
    private Path socket;

    @BeforeAll
    static void timer() {
        timer = Executors.newSingleThreadScheduledExecutor();
    }

    @AfterAll
    static void stopTimer() {
        timer.shutdownNow();
    }

    @BeforeEach
    void start() throws IOException {
        start("admin");
    }

    private void start(String level) throws IOException {
        if (server != null) {
            server.close();
        }
        Transport transport = Transport.best();
        if (group == null) {
            group = transport.newGroup(1, "test-cli");
        }
        socket = dir.resolve("cli.sock");
        RuntimeApiContext context = RuntimeApiContext.builder(RuntimeApiFixture.process()).build();
        CommandRegistry registry = StandardCommands.registry(context, Runnable::run);
        registry.register(BasicCommand.sync("show payload", CliLevel.USER, "show payload <<              : test",
                (args, payload, s) -> payload == null ? "no payload\n"
                        : "lines=" + payload.split("\n", -1).length + " bytes=" + payload.length()
                        + " first=" + payload.split("\n", -1)[0] + "\n"));
        registry.register(BasicCommand.async("wait", CliLevel.USER, "wait <ms>                    : test", (args, p, s) -> {
            CompletableFuture<String> f = new CompletableFuture<>();
            timer.schedule(() -> f.complete("waited " + args.get(1) + "\n"), Long.parseLong(args.get(1)),
                    TimeUnit.MILLISECONDS);
            return f;
        }));
        registry.register(BasicCommand.sync("fail", CliLevel.USER, null, (args, p, s) -> {
            throw new IllegalStateException("boom");
        }));
        server = RuntimeApiServer.start(new RuntimeApiConfig(socket, "0600", level, null, IDLE, MAX_PAYLOAD),
                registry, group, transport, java.time.Instant.now());
    }

    @AfterEach
    void stop() {
        server.close();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    private String send(String text) throws IOException {
        return CliClient.send(socket, text);
    }

    @Test
    void oneCommandThenEmptyLineThenClose() throws IOException {
        assertEquals("0.1.0-test\n\n", send("show version\n"));
    }

    @Test
    void semicolonChainsCommandsEachEndingWithAnEmptyLine() throws IOException {
        assertEquals("admin\n\nhello world\n\n", send("show cli level;echo hello world\n"));
    }

    @Test
    void backslashEscapesSemicolonAndBackslash() throws IOException {
        assertEquals("a;b c\\d\n\n", send("echo a\\;b c\\\\d\n"));
    }

    @Test
    void crlfLineAndLastLineWithoutNewlineAreAnswered() throws IOException {
        assertEquals("admin\n\n", send("show cli level\r\n"));
        assertEquals("admin\n\n", send("show cli level"));
    }

    @Test
    void nonInteractiveIgnoresLinesAfterTheFirst() throws IOException {
        assertEquals("admin\n\n", send("show cli level\necho second\n"));
    }

    @Test
    void promptModeKeepsTheConnectionAndShowsThePrompt() throws IOException {
        try (CliClient c = CliClient.connect(socket)) {
            c.write("prompt\n");
            assertEquals("\n> ", c.readUntil("> ", Duration.ofSeconds(5)));
            c.write("show cli level\n");
            assertEquals("admin\n\n> ", c.readUntil("> ", Duration.ofSeconds(5)));
            c.write("show cli level;echo x\n");
            assertEquals("admin\n\nx\n\n> ", c.readUntil("x\n\n> ", Duration.ofSeconds(5)));
            c.write("quit\n");
            assertTrue(c.closedWithin(Duration.ofSeconds(5)));
            assertEquals("", c.text());
        }
    }

    @Test
    void promptWithPayloadShowsPlusPrompt() throws IOException {
        try (CliClient c = CliClient.connect(socket)) {
            c.write("prompt\n");
            c.readUntil("> ", Duration.ofSeconds(5));
            c.write("show payload <<\n");
            assertEquals("+ ", c.readUntil("+ ", Duration.ofSeconds(5)));
            c.write("abc\n");
            assertEquals("+ ", c.readUntil("+ ", Duration.ofSeconds(5)));
            c.write("\n");
            assertEquals("lines=1 bytes=3 first=abc\n\n> ", c.readUntil("\n> ", Duration.ofSeconds(5)));
        }
    }

    @Test
    void interactiveWithoutPromptAndBackToNonInteractive() throws IOException {
        try (CliClient c = CliClient.connect(socket)) {
            c.write("prompt i\n");
            c.write("show cli level\n");
            assertEquals("\nadmin\n\n", c.readUntil("admin\n\n", Duration.ofSeconds(5)));
            assertFalse(c.isEof());
            c.write("prompt n;show cli level\n");
            assertEquals("\nadmin\n\n", c.readToEof(Duration.ofSeconds(5)));
        }
    }

    @Test
    void timedPromptShowsTheUptime() throws IOException {
        try (CliClient c = CliClient.connect(socket)) {
            c.write("prompt timed\n");
            String p = c.readUntil("]> ", Duration.ofSeconds(5));
            assertTrue(p.matches("\n\\[0:00:00:0\\d\\]> "), p);
            c.write("prompt timed;show cli level\n");
            assertEquals("\nadmin\n\n> ", c.readUntil("admin\n\n> ", Duration.ofSeconds(5)));
        }
    }

    @Test
    void helpWithWordsListsOnlyTheMatchingCommands() throws IOException {
        String out = send("help show servers\n");
        assertTrue(out.startsWith("The following commands are valid at this level:\n"
                + "  show servers state [<backend>]"), out);
        assertFalse(out.contains("show info"), out);
    }

    @Test
    void promptHelpAndBadArgumentPrintUsage() throws IOException {
        assertTrue(send("prompt help\n").startsWith("Usage: prompt [help | n | i | p | timed]*\n"));
        assertTrue(send("prompt x\n").startsWith("Usage: prompt [help | n | i | p | timed]*\n"));
    }

    @Test
    void unknownCommandPrintsHaproxyUsage() throws IOException {
        String out = send("frobnicate now\n");
        assertTrue(out.startsWith("Unknown command: 'frobnicate'. Please enter one of the following commands only:\n"), out);
        assertTrue(out.contains("\n  show info [desc|json|typed|float]*      : report information about the running process\n"), out);
        assertTrue(out.endsWith("  help [<command>]                        : list matching or all commands\n"
                + "  prompt [help | n | i | p | timed ]*     : toggle interactive mode with prompt\n"
                + "  quit                                    : disconnect\n\n"), out);
    }

    @Test
    void partiallyKnownCommandListsTheCloseOnes() throws IOException {
        String out = send("show nothing\n");
        assertTrue(out.startsWith("Unknown command: 'show', but maybe one of the following ones is a better match:\n"), out);
        assertTrue(out.contains("  show info"), out);
        assertFalse(out.contains("  echo <text>"), out);
    }

    @Test
    void helpListsEveryCommand() throws IOException {
        String out = send("help\n");
        assertTrue(out.startsWith("The following commands are valid at this level:\n"), out);
        assertTrue(out.contains("  show servers state [<backend>]"), out);
        assertFalse(out.contains("\n\n\n"));
    }

    @Test
    void payloadEndsWithEmptyLineAndGoesToTheLastCommandOfTheLine() throws IOException {
        assertEquals("lines=2 bytes=7 first=abc\n\n", send("show payload <<\nabc\ndef\n\n"));
        assertEquals("x\n\nlines=1 bytes=3 first=abc\n\n", send("echo x;show payload <<\nabc\n\n"));
    }

    @Test
    void customPayloadTerminatorAllowsEmptyLines() throws IOException {
        assertEquals("lines=3 bytes=6 first=ab\n\n", send("show payload <<%EOF%\nab\n\ncd\n%EOF%\n"));
        assertEquals("lines=2 bytes=3 first=\n\n", send("show payload <<%EOF%\n\ncd\n%EOF%\n"));
    }

    @Test
    void patternLongerThan64CharactersIsNotAPayload() throws IOException {
        assertEquals("no payload\n\n", send("show payload <<" + "x".repeat(65) + "\n"));
        assertEquals("lines=1 bytes=1 first=a\n\n", send("show payload <<" + "x".repeat(64) + "\na\n" + "x".repeat(64) + "\n"));
    }

    @Test
    void payloadCutShortByEofIsAnErrorAndNothingRuns() throws IOException {
        String out = send("show payload <<\nabc\n");
        assertEquals("The payload was not terminated: it must end with an empty line. Nothing was changed.\n\n", out);
        assertEquals("The payload was not terminated: it must end with a line 'END'. Nothing was changed.\n\n",
                send("show payload <<END"), "a payload line cut by EOF is not run either");
    }

    @Test
    void payloadWithoutTerminatorFromAStalledClientIsClosedByTheIdleTimeout() throws IOException {
        try (CliClient c = CliClient.connect(socket)) {
            c.write("show payload <<\nabc\n");
            long start = System.nanoTime();
            assertTrue(c.closedWithin(Duration.ofSeconds(5)), "a stalled payload must not hold the connection");
            assertTrue(System.nanoTime() - start >= IDLE.toNanos() / 2);
            assertEquals("", c.text());
        }
    }

    @Test
    void oversizedPayloadIsRefusedAndTheConnectionClosed() throws IOException {
        try (CliClient c = CliClient.connect(socket)) {
            c.write("show payload <<\n");
            String line = "y".repeat(99) + "\n";
            for (int i = 0; i < 50; i++) {
                c.write(line);
            }
            String out = c.readToEof(Duration.ofSeconds(5));
            assertEquals("The payload is too big. Please change 'runtime_api.max_payload' (" + MAX_PAYLOAD
                    + " bytes) in the configuration to use a bigger payload.\n\n", out);
        }
    }

    @Test
    void oversizedLineIsRefusedNotBuffered() throws IOException {
        try (CliClient c = CliClient.connect(socket)) {
            c.write("echo " + "z".repeat(RuntimeApiServer.MAX_LINE + 10));
            String out = c.readToEof(Duration.ofSeconds(5));
            assertTrue(out.startsWith("The command line is too big for the buffer size."), out);
            assertTrue(out.endsWith("\n\n"));
        }
    }

    @Test
    void garbageGetsTheUsageAndTheServerCarriesOn() throws IOException {
        byte[] garbage = new byte[300];
        new java.util.Random(7).nextBytes(garbage);
        for (int i = 0; i < garbage.length; i++) {
            if (garbage[i] == '\n' || garbage[i] == ';' || garbage[i] == ' ' || garbage[i] == '\\') {
                garbage[i] = 'q';
            }
        }
        garbage[0] = 0;
        try (CliClient c = CliClient.connect(socket)) {
            c.write(garbage);
            c.write("\n");
            String out = c.readToEof(Duration.ofSeconds(5));
            assertTrue(out.startsWith("Unknown command: '"), out);
            assertTrue(out.endsWith("disconnect\n\n"));
        }
        assertEquals("admin\n\n", send("show cli level\n"));
        assertEquals("\n", send("\n"));
    }

    @Test
    void slowClientIsClosedByIdleTimeoutWhileOthersAreServed() throws IOException {
        try (CliClient slow = CliClient.connect(socket)) {
            slow.write("show cli");
            for (int i = 0; i < 3; i++) {
                assertEquals("admin\n\n", send("show cli level\n"));
            }
            assertTrue(slow.closedWithin(Duration.ofSeconds(5)));
            assertEquals("", slow.text());
        }
    }

    @Test
    void clientThatDoesNotReadItsRepliesIsCutOffNotBuffered() throws IOException, InterruptedException {
        try (CliClient c = CliClient.connect(socket)) {
            StringBuilder lines = new StringBuilder("prompt i\n");
            int commands = 4000;
            for (int i = 0; i < commands; i++) {
                lines.append("help\n");
            }
            c.write(lines.toString());
            // Not reading for a while: the server runs out of room for replies, queues the rest of
            // the commands and cuts the client off at its pending cap. Reading at once instead could
            // keep up with the replies on a slow machine and leave nothing to test.
            Thread.sleep(2000);
            // Only now start reading: the server must have stopped, not queued 4000 replies.
            String out = c.readToEof(Duration.ofSeconds(10));
            int helps = out.split("The following commands are valid", -1).length - 1;
            assertTrue(helps < commands, "replied to " + helps + " of " + commands);
        }
        assertEquals("admin\n\n", send("show cli level\n"), "the server carries on");
    }

    @Test
    void setTimeoutCliChangesThisConnectionsIdleTimeout() throws IOException {
        try (CliClient c = CliClient.connect(socket)) {
            c.write("prompt i;set timeout cli 3\n");
            c.readUntil("\n\n", Duration.ofSeconds(5));
            assertFalse(c.closedWithin(Duration.ofMillis(1500)), "the new 3 s timeout replaces the 0.7 s one");
            assertTrue(c.closedWithin(Duration.ofSeconds(5)));
        }
        assertEquals("Invalid timeout value.\n\n", send("set timeout cli soon\n"));
    }

    @Test
    void slowCommandsKeepTheirOrderAndAreNotCutByTheIdleTimeout() throws IOException {
        assertEquals("waited 1200\n\nadmin\n\n", send("wait 1200;show cli level\n"));
    }

    @Test
    void failingCommandReportsAnInternalErrorAndTheLineGoesOn() throws IOException {
        assertEquals("Internal error: boom\n\nadmin\n\n", send("fail;show cli level\n"));
    }

    @Test
    void levelsDenyCommandsAboveThemAndOnlyGoDown() throws IOException {
        try (CliClient c = CliClient.connect(socket)) {
            c.write("prompt\n");
            c.readUntil("> ", Duration.ofSeconds(5));
            c.write("operator\n");
            assertEquals("\n> ", c.readUntil("> ", Duration.ofSeconds(5)));
            c.write("show cli level\n");
            assertEquals("operator\n\n> ", c.readUntil("> ", Duration.ofSeconds(5)));
            c.write("disable server be/s1\n");
            assertEquals("Permission denied\n\n> ", c.readUntil("> ", Duration.ofSeconds(5)));
            c.write("user\n");
            c.readUntil("> ", Duration.ofSeconds(5));
            c.write("operator\n");
            assertEquals("Permission denied\n\n> ", c.readUntil("> ", Duration.ofSeconds(5)));
            c.write("show cli level\n");
            assertEquals("user\n\n> ", c.readUntil("> ", Duration.ofSeconds(5)));
        }
    }

    @Test
    void configuredUserLevelIsEnforced() throws IOException {
        start("user");
        assertEquals("user\n\n", send("show cli level\n"));
        assertEquals("Permission denied\n\n", send("set server be/s1 state maint\n"));
        assertEquals("Permission denied\n\n", send("operator\n"));
    }

    @Test
    void socatClientWorksUnchanged() throws Exception {
        ExternalTool.assumeInstalled("socat");
        assertEquals("admin\n\nhello\n\n", Socat.run(socket, "show cli level;echo hello\n"));
        assertEquals("lines=2 bytes=7 first=abc\n\n", Socat.run(socket, "show payload <<\nabc\ndef\n\n"));
        assertEquals("lines=3 bytes=6 first=ab\n\n", Socat.run(socket, "show payload <<%EOF%\nab\n\ncd\n%EOF%\n"));
    }
}
