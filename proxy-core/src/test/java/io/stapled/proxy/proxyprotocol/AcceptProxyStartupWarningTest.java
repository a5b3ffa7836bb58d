package io.stapled.proxy.proxyprotocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.slf4j.LoggerFactory;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.stapled.server.RunningFrontend;
import io.stapled.testing.StapledServerExtension;

/**
 * {@code accept_proxy: true} trusts loopback only: on a listener reachable from elsewhere the server
 * says at start-up that a remote balancer's connections will be closed; on a loopback one it does not.
 */
class AcceptProxyStartupWarningTest {
    private static final Logger LOGGER = (Logger) LoggerFactory.getLogger(RunningFrontend.class);
    private static final ListAppender<ILoggingEvent> APPENDER = new ListAppender<>();

    @RegisterExtension
    static final StapledServerExtension STAPLED = StapledServerExtension.fromYaml("""
            frontends:
              - name: wildcard
                bind: 0.0.0.0:0
                backend: app
                accept_proxy: true
                certificates:
                  - crt: ${cert:w.test}
              - name: loopback
                bind: 127.0.0.1:0
                backend: app
                accept_proxy: true
                certificates:
                  - crt: ${cert:l.test}
              - name: listed
                bind: 0.0.0.0:0
                backend: app
                accept_proxy: { trusted_sources: [10.0.0.0/8] }
                certificates:
                  - crt: ${cert:x.test}
            backends:
              - name: app
                servers:
                  - { name: app1, address: 127.0.0.1:${backend} }
            """).beforeServer(s -> {
                APPENDER.start();
                LOGGER.addAppender(APPENDER);
            });

    @AfterAll
    static void detach() {
        LOGGER.detachAppender(APPENDER);
    }

    @Test
    void warnsOnlyForTheDefaultOnANonLoopbackListener() {
        List<String> warnings = APPENDER.list.stream().map(ILoggingEvent::getFormattedMessage)
                .filter(m -> m.contains("accept_proxy")).toList();
        assertEquals(1, warnings.size(), warnings.toString());
        assertTrue(warnings.get(0).startsWith("frontend wildcard: accept_proxy: true trusts loopback peers only"),
                warnings.get(0));
    }
}
