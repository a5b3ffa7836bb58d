/**
 * Metrics (Micrometer, exported as Prometheus text), health and readiness for stapled. The metrics
 * and the probes are described for operators in {@code docs/METRICS.md}.
 *
 * <p>The server assembly creates one {@link io.stapled.metrics.StapledMetrics} with the clock it gives
 * the OCSP engine and wires it like this:
 *
 * <pre>{@code
 * StapledMetrics metrics = new StapledMetrics(clock);
 * OcspManager ocsp = OcspManager.builder()...clock(clock).listener(metrics.ocspListener()).build();
 * // ... manage the certificates, then:
 * metrics.bindOcsp(ocsp, config.adminHttp());           // gauges per certificate; /readyz staple checks
 * metrics.bindCertificates(tlsFrontends, config.adminHttp()); // /readyz and notAfter gauges of certificates
 * metrics.bindBackends(pools.values());                  // after the BackendPools exist
 * metrics.bindEventLoops("io", workers);                  // optional: event loop queue lengths
 * // per frontend:
 * metrics.bindFrontend(name, tracker, limiter);
 * new HttpProxyInitializer(frontendConfig, pool, metrics.httpObserver(name, pool.name()));
 * HandshakeMetricsHandler handshakes = metrics.handshakeHandler(name);   // one per frontend, @Sharable
 * // in the child ChannelInitializer: limit, track, tls, then handshakes, then the proxy handlers
 * AdminHttpServer admin = metrics.startAdmin(config.adminHttp(), workers, transport.serverChannel());
 * metrics.readiness().listenersOpen(true);              // once every frontend listens
 * // on stop: listenersOpen(false) first; admin.close() and metrics.close() before the groups shut down
 * }</pre>
 */
package io.stapled.metrics;
