package io.stapled.proxy.http2;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ClientInterceptors;
import io.grpc.ForwardingClientCall;
import io.grpc.ForwardingClientCallListener;
import io.grpc.ForwardingServerCall;
import io.grpc.Grpc;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerCredentials;
import io.grpc.TlsServerCredentials;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.TlsChannelCredentials;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import io.grpc.testing.protobuf.SimpleRequest;
import io.grpc.testing.protobuf.SimpleResponse;
import io.grpc.testing.protobuf.SimpleServiceGrpc;

import io.stapled.testing.StapledServerExtension;
import io.stapled.testkit.TestPki;
import io.stapled.testkit.pki.CertificateBuilder;
import io.stapled.testkit.pki.IssuedCertificate;

/**
 * gRPC end to end through stapled: grpc-java's client over TLS (ALPN h2, trusting the test root) to
 * stapled, and stapled over cleartext HTTP/2 ({@code proto: h2}) to grpc-java's server on loopback, or
 * over TLS ({@code proto: h2} with {@code tls:}) to another one with a certificate of a test CA.
 * The calls are the test service grpc-testing-proto ships ({@code SimpleService}): a unary call, one that
 * fails with a status, and a bidirectional stream whose messages go back and forth one at a time.
 */
@Timeout(60)
class GrpcEndToEndTest {
    private static final Metadata.Key<String> SERVED_BY = Metadata.Key.of("x-served-by", Metadata.ASCII_STRING_MARSHALLER);
    /**
     * What grpc-java's server logs about its connections: it warns (once per connection) when a call
     * comes without {@code te: trailers}, "some intermediate proxy may not support trailers", and
     * keeps no {@code te} in the call's metadata, so the warning is how the test sees the header.
     */
    static final List<LogRecord> SERVER_LOG = new CopyOnWriteArrayList<>();
    private static final Logger SERVER_LOGGER = Logger.getLogger(NettyServerBuilder.class.getPackageName() + ".NettyServerHandler");
    static Server grpcServer;

    private static final IssuedCertificate GRPC_CA = CertificateBuilder.subject("CN=grpc backend ca").ca().build();
    private static final IssuedCertificate GRPC_CERT = CertificateBuilder.subject("CN=grpc.internal")
            .issuer(GRPC_CA).dnsNames("grpc.internal").build();

    @RegisterExtension
    static final StapledServerExtension STAPLED = StapledServerExtension.fromYaml("""
            frontends:
              - name: grpc
                bind: 127.0.0.1:0
                backend: grpc
                certificates:
                  - crt: ${cert:grpc.test}
              - name: grpctls
                bind: 127.0.0.1:0
                backend: grpctls
                certificates:
                  - crt: ${cert:grpc.test}
            backends:
              - name: grpc
                servers:
                  - { name: g1, address: 127.0.0.1:${port:grpc}, proto: h2 }
              - name: grpctls
                servers:
                  - name: g1
                    address: 127.0.0.1:${port:grpctls}
                    proto: h2
                    tls: { ca_file: grpc-ca.pem, sni: grpc.internal }
            """).port("grpc", () -> startGrpcServer().getPort())
            .port("grpctls", () -> startTlsGrpcServer().getPort())
            .beforeServer(x -> TestPki.write(x.dir().resolve("grpc-ca.pem"), GRPC_CA.certificatePem()));

    static Server tlsGrpcServer;
    /** Whether each call the TLS server took came over TLS (it had an SSL session). */
    static final List<Boolean> TLS_CALLS = new CopyOnWriteArrayList<>();

    /** The same service behind grpc-java's own server TLS, with a certificate of the test PKI. */
    private static Server startTlsGrpcServer() {
        if (tlsGrpcServer == null) {
            try {
                ServerCredentials credentials = TlsServerCredentials.create(
                        new ByteArrayInputStream(GRPC_CERT.chainPem().getBytes(StandardCharsets.US_ASCII)),
                        new ByteArrayInputStream(GRPC_CERT.privateKeyPem().getBytes(StandardCharsets.US_ASCII)));
                tlsGrpcServer = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0), credentials)
                        .addService(ServerInterceptors.intercept(new EchoService(), new AddTrailer(), new ServerInterceptor() {
                            @Override
                            public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
                                                                               ServerCallHandler<Q, R> next) {
                                TLS_CALLS.add(call.getAttributes().get(Grpc.TRANSPORT_ATTR_SSL_SESSION) != null);
                                return next.startCall(call, headers);
                            }
                        }))
                        .build().start();
            } catch (java.io.IOException e) {
                throw new IllegalStateException(e);
            }
        }
        return tlsGrpcServer;
    }

    private static Server startGrpcServer() {
        if (grpcServer == null) {
            SERVER_LOGGER.addHandler(new Handler() {
                @Override
                public void publish(LogRecord r) {
                    SERVER_LOG.add(r);
                }

                @Override
                public void flush() {
                }

                @Override
                public void close() {
                }
            });
            try {
                grpcServer = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
                        .addService(ServerInterceptors.intercept(new EchoService(), new AddTrailer()))
                        .build().start();
            } catch (java.io.IOException e) {
                throw new IllegalStateException(e);
            }
        }
        return grpcServer;
    }

    private static ManagedChannel channel;
    /** How a call ended on the client: its status (read from {@code grpc-status}) and the other trailers. */
    record Closed(Status status, Metadata trailers) { }

    /** Each finished call as the client saw it end. */
    private static final BlockingQueue<Closed> TRAILERS = new LinkedBlockingQueue<>();

    @BeforeAll
    static void connect() throws Exception {
        byte[] root = IssuedCertificate.pem(STAPLED.root()).getBytes(StandardCharsets.US_ASCII);
        channel = Grpc.newChannelBuilderForAddress("127.0.0.1", STAPLED.port(),
                        TlsChannelCredentials.newBuilder().trustManager(new ByteArrayInputStream(root)).build())
                .overrideAuthority("grpc.test")
                .build();
    }

    @AfterAll
    static void stop() throws Exception {
        if (channel != null) {
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
        if (grpcServer != null) {
            grpcServer.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
        if (tlsGrpcServer != null) {
            tlsGrpcServer.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
    }

    private static Channel recordingTrailers() {
        return ClientInterceptors.intercept(channel, new ClientInterceptor() {
            @Override
            public <Q, R> ClientCall<Q, R> interceptCall(MethodDescriptor<Q, R> method, CallOptions options, Channel next) {
                return new ForwardingClientCall.SimpleForwardingClientCall<>(next.newCall(method, options)) {
                    @Override
                    public void start(Listener<R> listener, Metadata headers) {
                        super.start(new ForwardingClientCallListener.SimpleForwardingClientCallListener<>(listener) {
                            @Override
                            public void onClose(Status status, Metadata trailers) {
                                TRAILERS.add(new Closed(status, trailers));
                                super.onClose(status, trailers);
                            }
                        }, headers);
                    }
                };
            }
        });
    }

    @Test
    void unaryCallGetsItsResponseAndTheTrailers() throws Exception {
        TRAILERS.clear();
        SimpleResponse r = SimpleServiceGrpc.newBlockingStub(recordingTrailers())
                .withDeadlineAfter(10, TimeUnit.SECONDS)
                .unaryRpc(SimpleRequest.newBuilder().setRequestMessage("hello").build());
        assertEquals("echo: hello", r.getResponseMessage());
        Closed closed = TRAILERS.poll(5, TimeUnit.SECONDS);
        assertNotNull(closed);
        assertEquals(Status.Code.OK, closed.status().getCode(), "grpc-status 0 in the trailers");
        assertEquals("g1", closed.trailers().get(SERVED_BY), "the server's own trailer came through");
        assertTrue(SERVER_LOG.stream().noneMatch(l -> l.getMessage().contains("Expected header TE")),
                "te: trailers forwarded to the gRPC server: " + SERVER_LOG.stream().map(LogRecord::getMessage).toList());
    }

    /** A call the server fails before any message: a trailers-only response, one HEADERS frame with END_STREAM. */
    @Test
    void aFailedUnaryCallSeesItsStatusCode() {
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () ->
                SimpleServiceGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS)
                        .unaryRpc(SimpleRequest.newBuilder().setRequestMessage("fail").build()));
        assertEquals(Status.Code.NOT_FOUND, e.getStatus().getCode(), e.toString());
        assertEquals("nothing called fail", e.getStatus().getDescription());
    }

    /** Each message is answered before the next is sent, so neither direction can be buffered to its end. */
    @Test
    void bidirectionalStreamInterleavesBothDirections() throws Exception {
        TRAILERS.clear();
        BlockingQueue<String> answers = new LinkedBlockingQueue<>();
        CompletableFuture<Status> done = new CompletableFuture<>();
        StreamObserver<SimpleRequest> requests = SimpleServiceGrpc.newStub(recordingTrailers())
                .withDeadlineAfter(20, TimeUnit.SECONDS)
                .bidiStreamingRpc(new StreamObserver<>() {
                    @Override
                    public void onNext(SimpleResponse value) {
                        answers.add(value.getResponseMessage());
                    }

                    @Override
                    public void onError(Throwable t) {
                        done.complete(Status.fromThrowable(t));
                    }

                    @Override
                    public void onCompleted() {
                        done.complete(Status.OK);
                    }
                });
        for (int i = 0; i < 5; i++) {
            requests.onNext(SimpleRequest.newBuilder().setRequestMessage("m" + i).build());
            assertEquals("echo: m" + i, answers.poll(10, TimeUnit.SECONDS),
                    "the answer to message " + i + " before message " + (i + 1) + " is sent");
        }
        requests.onCompleted();
        assertEquals(Status.Code.OK, done.get(10, TimeUnit.SECONDS).getCode());
        Closed closed = TRAILERS.poll(5, TimeUnit.SECONDS);
        assertEquals(Status.Code.OK, closed.status().getCode());
        assertEquals("g1", closed.trailers().get(SERVED_BY));
    }

    /** A stream the server ends with an error after some messages: the status comes in the trailers. */
    @Test
    void aStreamTheServerAbortsSeesTheStatusAfterItsMessages() throws Exception {
        BlockingQueue<String> answers = new LinkedBlockingQueue<>();
        CompletableFuture<Status> done = new CompletableFuture<>();
        StreamObserver<SimpleRequest> requests = SimpleServiceGrpc.newStub(channel)
                .withDeadlineAfter(20, TimeUnit.SECONDS)
                .bidiStreamingRpc(new StreamObserver<>() {
                    @Override
                    public void onNext(SimpleResponse value) {
                        answers.add(value.getResponseMessage());
                    }

                    @Override
                    public void onError(Throwable t) {
                        done.complete(Status.fromThrowable(t));
                    }

                    @Override
                    public void onCompleted() {
                        done.complete(Status.OK);
                    }
                });
        requests.onNext(SimpleRequest.newBuilder().setRequestMessage("first").build());
        assertEquals("echo: first", answers.poll(10, TimeUnit.SECONDS));
        requests.onNext(SimpleRequest.newBuilder().setRequestMessage("fail").build());
        Status status = done.get(10, TimeUnit.SECONDS);
        assertEquals(Status.Code.ABORTED, status.getCode(), status.toString());
        assertEquals("aborted at fail", status.getDescription());
        assertTrue(answers.isEmpty());
    }

    /**
     * The same calls to a gRPC server behind TLS ({@code proto: h2} with {@code tls:}): stapled verifies
     * its certificate against the test CA, offers ALPN h2, and the calls keep their trailers and status.
     */
    @Test
    void callsReachAGrpcServerOverTls() throws Exception {
        byte[] root = IssuedCertificate.pem(STAPLED.root()).getBytes(StandardCharsets.US_ASCII);
        ManagedChannel tls = Grpc.newChannelBuilderForAddress("127.0.0.1", STAPLED.port("grpctls"),
                        TlsChannelCredentials.newBuilder().trustManager(new ByteArrayInputStream(root)).build())
                .overrideAuthority("grpc.test")
                .build();
        try {
            SimpleResponse r = SimpleServiceGrpc.newBlockingStub(tls).withDeadlineAfter(10, TimeUnit.SECONDS)
                    .unaryRpc(SimpleRequest.newBuilder().setRequestMessage("over tls").build());
            assertEquals("echo: over tls", r.getResponseMessage());
            StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () ->
                    SimpleServiceGrpc.newBlockingStub(tls).withDeadlineAfter(10, TimeUnit.SECONDS)
                            .unaryRpc(SimpleRequest.newBuilder().setRequestMessage("fail").build()));
            assertEquals(Status.Code.NOT_FOUND, e.getStatus().getCode(), e.toString());
            BlockingQueue<String> answers = new LinkedBlockingQueue<>();
            CompletableFuture<Status> done = new CompletableFuture<>();
            StreamObserver<SimpleRequest> requests = SimpleServiceGrpc.newStub(tls)
                    .withDeadlineAfter(20, TimeUnit.SECONDS)
                    .bidiStreamingRpc(new StreamObserver<>() {
                        @Override
                        public void onNext(SimpleResponse value) {
                            answers.add(value.getResponseMessage());
                        }

                        @Override
                        public void onError(Throwable t) {
                            done.complete(Status.fromThrowable(t));
                        }

                        @Override
                        public void onCompleted() {
                            done.complete(Status.OK);
                        }
                    });
            for (int i = 0; i < 3; i++) {
                requests.onNext(SimpleRequest.newBuilder().setRequestMessage("t" + i).build());
                assertEquals("echo: t" + i, answers.poll(10, TimeUnit.SECONDS));
            }
            requests.onCompleted();
            assertEquals(Status.Code.OK, done.get(10, TimeUnit.SECONDS).getCode());
            assertEquals(List.of(true, true, true), TLS_CALLS, "each call reached the server over TLS");
        } finally {
            tls.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
    }

    /** Echoes; {@code fail} fails the call (NOT_FOUND unary, ABORTED in a stream). */
    static final class EchoService extends SimpleServiceGrpc.SimpleServiceImplBase {
        @Override
        public void unaryRpc(SimpleRequest request, StreamObserver<SimpleResponse> out) {
            if (request.getRequestMessage().equals("fail")) {
                out.onError(Status.NOT_FOUND.withDescription("nothing called fail").asRuntimeException());
                return;
            }
            out.onNext(SimpleResponse.newBuilder().setResponseMessage("echo: " + request.getRequestMessage()).build());
            out.onCompleted();
        }

        @Override
        public StreamObserver<SimpleRequest> bidiStreamingRpc(StreamObserver<SimpleResponse> out) {
            return new StreamObserver<>() {
                @Override
                public void onNext(SimpleRequest value) {
                    if (value.getRequestMessage().equals("fail")) {
                        out.onError(Status.ABORTED.withDescription("aborted at fail").asRuntimeException());
                        return;
                    }
                    out.onNext(SimpleResponse.newBuilder().setResponseMessage("echo: " + value.getRequestMessage()).build());
                }

                @Override
                public void onError(Throwable t) {
                }

                @Override
                public void onCompleted() {
                    out.onCompleted();
                }
            };
        }
    }

    /** Adds a trailer of the server's own to each call. */
    static final class AddTrailer implements ServerInterceptor {
        @Override
        public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
                                                           ServerCallHandler<Q, R> next) {
            return next.startCall(new ForwardingServerCall.SimpleForwardingServerCall<>(call) {
                @Override
                public void close(Status status, Metadata trailers) {
                    trailers.put(SERVED_BY, "g1");
                    super.close(status, trailers);
                }
            }, headers);
        }
    }
}
