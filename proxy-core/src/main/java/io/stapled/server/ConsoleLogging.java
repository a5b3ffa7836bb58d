package io.stapled.server;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import org.slf4j.LoggerFactory;

import ch.qos.logback.classic.encoder.JsonEncoder;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.Configurator;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.encoder.Encoder;
import ch.qos.logback.core.spi.ContextAwareBase;

import io.stapled.config.GlobalConfig;

/**
 * stapled's logging set-up, in code: one line per event on standard error, Netty at WARN, the root
 * level from {@code global.log_level} ({@link LogLevels}), as JSON lines with {@code global.log_format:
 * json} ({@link #useFormat}); the access log ({@code stapled.access}) bare, one request per line, on
 * standard output, whatever the format of the rest. Found by logback through
 * {@code META-INF/services}; it replaces a {@code logback.xml} because parsing XML config loads some
 * 600 classes, a third of a second of start-up before the first certificate is read.
 *
 * <p>A {@code -Dlogback.configurationFile} of the operator's, or a {@code logback-test.xml} on the
 * class path, still wins: then this steps aside and logback reads that file as usual.
 */
public final class ConsoleLogging extends ContextAwareBase implements Configurator {
    static final String PATTERN = "%d{yyyy-MM-dd'T'HH:mm:ss.SSSX} %-5level [%thread] %logger{24} - %msg%n";
    static final String STDERR = "STDERR";
    static final String ACCESS_LOGGER = "stapled.access";

    @Override
    public ExecutionStatus configure(LoggerContext context) {
        if (System.getProperty("logback.configurationFile") != null
                || ConsoleLogging.class.getClassLoader().getResource("logback-test.xml") != null) {
            return ExecutionStatus.INVOKE_NEXT_IF_ANY;
        }
        configureConsole(context);
        return ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY;
    }

    static void configureConsole(LoggerContext context) {
        ConsoleAppender<ILoggingEvent> stderr = console(context, STDERR, "System.err", pattern(context, PATTERN));
        context.getLogger("io.netty").setLevel(Level.WARN);
        ch.qos.logback.classic.Logger root = context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        root.setLevel(Level.INFO);
        root.addAppender(stderr);

        // The line is already what the operator asked for (combined, JSON, a template): nothing around it.
        ch.qos.logback.classic.Logger access = context.getLogger(ACCESS_LOGGER);
        access.setAdditive(false);
        access.addAppender(console(context, "ACCESS", "System.out", pattern(context, "%msg%n")));
    }

    /**
     * {@code global.log_format}: the process's own lines (start-up, staples, certificates, errors) in
     * {@code format} from now on. Only with this class's set-up; an operator's logback file keeps its own.
     */
    public static void useFormat(GlobalConfig.LogFormat format) {
        if (LoggerFactory.getILoggerFactory() instanceof LoggerContext context) {
            useFormat(context, format);
        }
    }

    static void useFormat(LoggerContext context, GlobalConfig.LogFormat format) {
        if (!(context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME).getAppender(STDERR)
                instanceof ConsoleAppender<ILoggingEvent> stderr)) {
            return;
        }
        Encoder<ILoggingEvent> encoder;
        if (format == GlobalConfig.LogFormat.JSON) {
            JsonEncoder json = new JsonEncoder();
            json.setContext(context);
            // The message as a reader sees it, not the pattern and its arguments apart; no per-process
            // context object or sequence number repeated on every line.
            json.setWithFormattedMessage(true);
            json.setWithMessage(false);
            json.setWithArguments(false);
            json.setWithContext(false);
            json.setWithSequenceNumber(false);
            json.setWithNanoseconds(false);
            json.start();
            encoder = json;
        } else {
            encoder = pattern(context, PATTERN);
        }
        stderr.setEncoder(encoder); // once, as the config is applied, before the listeners open
    }

    private static PatternLayoutEncoder pattern(LoggerContext context, String pattern) {
        PatternLayoutEncoder encoder = new PatternLayoutEncoder();
        encoder.setContext(context);
        encoder.setPattern(pattern);
        encoder.start();
        return encoder;
    }

    private static ConsoleAppender<ILoggingEvent> console(LoggerContext context, String name, String target,
                                                          Encoder<ILoggingEvent> encoder) {
        ConsoleAppender<ILoggingEvent> appender = new ConsoleAppender<>();
        appender.setContext(context);
        appender.setName(name);
        appender.setTarget(target);
        appender.setEncoder(encoder);
        appender.start();
        return appender;
    }
}
