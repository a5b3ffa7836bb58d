package io.stapled.tls;

/** The public-key algorithm of a certificate; a name may be served by one certificate of each. */
public enum KeyType { EC, RSA }
