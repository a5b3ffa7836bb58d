package io.stapled.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.Configurator.ExecutionStatus;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.LoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import org.junit.jupiter.api.Test;

class ConsoleLoggingTest {

    @Test
    void stepsAsideForALogbackTestXmlOnTheClassPath() {
        LoggerContext context = new LoggerContext();
        ConsoleLogging logging = new ConsoleLogging();
        logging.setContext(context);
        assertEquals(ExecutionStatus.INVOKE_NEXT_IF_ANY, logging.configure(context));
        assertTrue(context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME).getAppender("STDERR") == null,
                "nothing configured when stepping aside");
    }

    @Test
    void configuresOneLinePerEventOnStandardErrorWithNettyAtWarn() {
        LoggerContext context = new LoggerContext();
        ConsoleLogging.configureConsole(context);
        Logger root = context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        assertEquals(Level.INFO, root.getLevel());
        assertEquals(Level.WARN, context.getLogger("io.netty").getLevel());

        @SuppressWarnings("unchecked")
        ConsoleAppender<ILoggingEvent> stderr = (ConsoleAppender<ILoggingEvent>) root.getAppender("STDERR");
        assertEquals("System.err", stderr.getTarget());
        assertTrue(stderr.isStarted());
        Logger logger = context.getLogger("io.stapled.server.StapledServer");
        LoggingEvent event = new LoggingEvent("x", logger, Level.INFO, "frontend {} listening", null, new Object[] {"web"});
        event.setThreadName("main");
        String line = new String(stderr.getEncoder().encode(event), StandardCharsets.UTF_8);
        assertTrue(line.matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z INFO  \\[main\\] "
                + "i\\.s\\.server\\.StapledServer - frontend web listening\\R"), line);
        context.stop();
    }
}
