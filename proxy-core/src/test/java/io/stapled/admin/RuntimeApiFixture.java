package io.stapled.admin;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;

import io.netty.channel.EventLoopGroup;
import io.stapled.config.RuntimeApiConfig;
import io.stapled.net.Transport;

/** A runtime API server on a real unix socket in a temporary directory, with its own event loops. */
final class RuntimeApiFixture implements AutoCloseable {
    final Transport transport;
    final EventLoopGroup group;
    final RuntimeApiServer server;
    final Path socket;

    private RuntimeApiFixture(Transport transport, EventLoopGroup group, RuntimeApiServer server, Path socket) {
        this.transport = transport;
        this.group = group;
        this.server = server;
        this.socket = socket;
    }

    static ProcessStats process() {
        return ProcessStats.basic("stapled", "0.1.0-test", Instant.now().minusSeconds(65));
    }

    static RuntimeApiConfig config(Path socket, String level, Duration idle, int maxPayload) {
        return new RuntimeApiConfig(socket, "0600", level, null, idle, maxPayload);
    }

    static RuntimeApiFixture start(Path dir, RuntimeApiContext context) throws IOException {
        return start(dir, context, "admin", Duration.ofSeconds(5), 128 * 1024, Transport.best());
    }

    static RuntimeApiFixture start(Path dir, RuntimeApiContext context, String level, Duration idle,
                                   int maxPayload, Transport transport) throws IOException {
        Path socket = dir.resolve("stapled.sock");
        EventLoopGroup group = transport.newGroup(1, "test-cli");
        try {
            RuntimeApiServer server = RuntimeApiServer.start(config(socket, level, idle, maxPayload), context, group,
                    transport);
            return new RuntimeApiFixture(transport, group, server, socket);
        } catch (IOException | RuntimeException e) {
            group.shutdownGracefully(0, 0, java.util.concurrent.TimeUnit.SECONDS).syncUninterruptibly();
            throw e;
        }
    }

    String send(String text) throws IOException {
        return CliClient.send(socket, text);
    }

    CliClient connect() throws IOException {
        return CliClient.connect(socket);
    }

    @Override
    public void close() {
        server.close();
        group.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS).syncUninterruptibly();
    }
}
