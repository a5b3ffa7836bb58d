/** JMH benchmarks of the handshake hot path. */
package io.stapled.bench;
