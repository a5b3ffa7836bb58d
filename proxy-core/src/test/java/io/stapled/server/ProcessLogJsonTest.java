package io.stapled.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.time.Duration;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.slf4j.LoggerFactory;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.LoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.read.ListAppender;

import io.stapled.config.GlobalConfig;
import io.stapled.ocsp.OcspManager;
import io.stapled.testing.StapledServerExtension;
import io.stapled.testkit.Poll;

/**
 * {@code global.log_format: json} through {@link ConsoleLogging}'s own appender: the line the OCSP
 * engine logs when a real server installs its first staple comes out as one JSON object; the access
 * log stays bare on standard output.
 */
class ProcessLogJsonTest {
    /** Attached before the server starts, to catch the engine's start-up lines. */
    static final ListAppender<ILoggingEvent> OCSP_LINES = attach();

    @RegisterExtension
    static final StapledServerExtension STAPLED = StapledServerExtension.fromYaml("""
            global: { log_format: json }
            frontends:
              - name: https
                bind: 127.0.0.1:0
                backend: app
                certificates:
                  - crt: ${cert:a.test}
            backends:
              - name: app
                servers:
                  - { name: web1, address: 127.0.0.1:${backend} }
            """);

    private static ListAppender<ILoggingEvent> attach() {
        ListAppender<ILoggingEvent> appender = new ListAppender<>();
        appender.start();
        ((Logger) LoggerFactory.getLogger(OcspManager.class)).addAppender(appender);
        return appender;
    }

    @AfterAll
    static void detach() {
        ((Logger) LoggerFactory.getLogger(OcspManager.class)).detachAppender(OCSP_LINES);
    }

    @Test
    void aStapleInstalledLineIsOneJsonObject() {
        assertEquals(GlobalConfig.LogFormat.JSON, STAPLED.server().config().global().logFormat());
        Poll.until(Duration.ofSeconds(10), "the staple installed line", () -> installed() != null);
        ILoggingEvent event = installed();

        LoggerContext context = new LoggerContext();
        ConsoleLogging.configureConsole(context);
        ConsoleLogging.useFormat(context, STAPLED.server().config().global().logFormat());
        @SuppressWarnings("unchecked")
        ConsoleAppender<ILoggingEvent> stderr = (ConsoleAppender<ILoggingEvent>) context
                .getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME).getAppender(ConsoleLogging.STDERR);
        String line = new String(stderr.getEncoder().encode(event), StandardCharsets.UTF_8);

        assertTrue(line.endsWith("\n") && line.indexOf('\n') == line.length() - 1, "one line: " + line);
        JsonObject o = JsonParser.parseString(line).getAsJsonObject();
        assertEquals("INFO", o.get("level").getAsString());
        assertEquals(OcspManager.class.getName(), o.get("loggerName").getAsString());
        String message = o.get("formattedMessage").getAsString();
        assertTrue(message.startsWith("OCSP: installed fetched staple for "), line);
        assertTrue(message.contains("a.test.pem: thisUpdate "), line);
        assertFalse(o.has("message") || o.has("arguments") || o.has("context"), "the message once: " + line);
        assertTrue(o.get("timestamp").getAsLong() > 0, line);

        // Back to text: the same event as before the switch.
        ConsoleLogging.useFormat(context, GlobalConfig.LogFormat.TEXT);
        String text = new String(stderr.getEncoder().encode(event), StandardCharsets.UTF_8);
        assertTrue(text.contains(" INFO  [") && text.contains(" - OCSP: installed "), text);
        context.stop();
    }

    @Test
    void accessLinesAreBareOnStandardOutputWhateverTheFormat() {
        LoggerContext context = new LoggerContext();
        ConsoleLogging.configureConsole(context);
        ConsoleLogging.useFormat(context, GlobalConfig.LogFormat.JSON);
        Logger access = context.getLogger(ConsoleLogging.ACCESS_LOGGER);
        assertFalse(access.isAdditive(), "not repeated on standard error");
        @SuppressWarnings("unchecked")
        ConsoleAppender<ILoggingEvent> stdout = (ConsoleAppender<ILoggingEvent>) access.getAppender("ACCESS");
        assertEquals("System.out", stdout.getTarget());
        LoggingEvent event = new LoggingEvent("x", access, Level.INFO, "{\"status\":200}", null, null);
        assertEquals("{\"status\":200}" + System.lineSeparator(),
                new String(stdout.getEncoder().encode(event), StandardCharsets.UTF_8));
        context.stop();
    }

    private static ILoggingEvent installed() {
        synchronized (OCSP_LINES) {
            return OCSP_LINES.list.stream().filter(e -> e.getFormattedMessage().startsWith("OCSP: installed "))
                    .findFirst().orElse(null);
        }
    }
}
