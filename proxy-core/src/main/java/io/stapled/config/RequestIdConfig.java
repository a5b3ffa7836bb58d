package io.stapled.config;

/**
 * {@code request_id:} a unique id per request, in a header forwarded to the backend, in the access
 * log and as {@code %[unique-id]} (HAProxy's {@code unique-id-format} with {@code unique-id-header}).
 *
 * @param header        the header that carries it
 * @param trustIncoming keep an id the client sent (behind another proxy that sets it) instead of
 *                      replacing it
 */
public record RequestIdConfig(String header, boolean trustIncoming) { }
