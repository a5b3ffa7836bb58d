package io.stapled.tls;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import io.netty.buffer.ByteBuf;

/**
 * Parses a ClientHello body (from {@code client_version} on, as {@link io.netty.handler.ssl.SslClientHelloHandler}
 * hands it over) with a bounds check on every length. Anything inconsistent makes the hello
 * malformed ({@code null}): such a client gets its connection closed, not a guess.
 */
public final class ClientHelloParser {
    private static final int EXT_SERVER_NAME = 0;
    private static final int EXT_STATUS_REQUEST = 5;
    private static final int EXT_SIGNATURE_ALGORITHMS = 13;
    private static final int EXT_ALPN = 16;
    private static final int EXT_SUPPORTED_VERSIONS = 43;
    private static final int TLS13 = 0x0304;
    private static final int SIGNATURE_ECDSA = 3;
    private static final int STATUS_TYPE_OCSP = 1;
    private static final int MAX_HOST_NAME = 255;

    private ClientHelloParser() { }

    /** The parsed hello, or null when it is malformed. Does not move the buffer's indexes. */
    public static ClientHelloInfo parse(ByteBuf hello) {
        if (hello == null) {
            return null;
        }
        int p = hello.readerIndex();
        final int end = hello.writerIndex();
        // client_version(2) random(32)
        p += 34;
        if (p + 1 > end) {
            return null;
        }
        p += 1 + hello.getUnsignedByte(p); // session_id
        if (p + 2 > end) {
            return null;
        }
        int suitesLen = hello.getUnsignedShort(p);
        p += 2;
        if (suitesLen < 2 || (suitesLen & 1) != 0 || p + suitesLen > end) {
            return null;
        }
        boolean tls13 = false;
        boolean ecdsaCipher = false;
        for (int i = p; i < p + suitesLen; i += 2) {
            int suite = hello.getUnsignedShort(i);
            if (suite >= 0x1301 && suite <= 0x1305) {
                tls13 = true;
            } else if (!ecdsaCipher && isEcdsaSuite(suite)) {
                ecdsaCipher = true;
            }
        }
        p += suitesLen;
        if (p + 1 > end) {
            return null;
        }
        int compressionLen = hello.getUnsignedByte(p);
        p += 1 + compressionLen;
        if (compressionLen < 1 || p > end) {
            return null;
        }
        String serverName = null;
        boolean statusRequest = false;
        boolean sigAlgs = false;
        boolean ecdsaSig = false;
        List<String> alpn = List.of();
        if (p == end) {
            return new ClientHelloInfo(null, false, false, false, tls13, ecdsaCipher, alpn);
        }
        if (p + 2 > end) {
            return null;
        }
        int extEnd = p + 2 + hello.getUnsignedShort(p);
        p += 2;
        if (extEnd > end) {
            return null;
        }
        while (p < extEnd) {
            if (p + 4 > extEnd) {
                return null;
            }
            int type = hello.getUnsignedShort(p);
            int len = hello.getUnsignedShort(p + 2);
            int data = p + 4;
            p = data + len;
            if (p > extEnd) {
                return null;
            }
            switch (type) {
                case EXT_SERVER_NAME -> {
                    serverName = serverName(hello, data, len);
                    if (serverName == null) {
                        return null;
                    }
                }
                case EXT_STATUS_REQUEST -> statusRequest = len >= 1 && hello.getUnsignedByte(data) == STATUS_TYPE_OCSP;
                case EXT_SIGNATURE_ALGORITHMS -> {
                    if (len < 2 || hello.getUnsignedShort(data) != len - 2 || (len & 1) != 0) {
                        return null;
                    }
                    sigAlgs = true;
                    for (int i = data + 2; i < data + len; i += 2) {
                        int hash = hello.getUnsignedByte(i);
                        // TLS 1.2 (hash, ecdsa) pairs and the TLS 1.3 ecdsa_secp*_sha* schemes share this shape.
                        if (hello.getUnsignedByte(i + 1) == SIGNATURE_ECDSA && hash >= 1 && hash <= 6) {
                            ecdsaSig = true;
                        }
                    }
                }
                case EXT_SUPPORTED_VERSIONS -> {
                    if (len < 1 || hello.getUnsignedByte(data) != len - 1 || (len & 1) == 0) {
                        return null;
                    }
                    for (int i = data + 1; i < data + len; i += 2) {
                        if (hello.getUnsignedShort(i) == TLS13) {
                            tls13 = true;
                        }
                    }
                }
                case EXT_ALPN -> {
                    alpn = alpn(hello, data, len);
                    if (alpn == null) {
                        return null;
                    }
                }
                default -> { }
            }
        }
        if (p != extEnd) {
            return null;
        }
        return new ClientHelloInfo(serverName, statusRequest, sigAlgs, ecdsaSig, tls13, ecdsaCipher, alpn);
    }

    /** The host_name entry, normalized; "" when the list has none; null when malformed. */
    private static String serverName(ByteBuf b, int data, int len) {
        if (len < 2 || b.getUnsignedShort(data) != len - 2) {
            return null;
        }
        int p = data + 2;
        int end = data + len;
        while (p < end) {
            if (p + 3 > end) {
                return null;
            }
            int nameType = b.getUnsignedByte(p);
            int nameLen = b.getUnsignedShort(p + 1);
            p += 3;
            if (p + nameLen > end) {
                return null;
            }
            if (nameType == 0) {
                if (nameLen == 0 || nameLen > MAX_HOST_NAME) {
                    return null;
                }
                String name = b.toString(p, nameLen, StandardCharsets.US_ASCII).toLowerCase(Locale.ROOT);
                return name.endsWith(".") ? name.substring(0, name.length() - 1) : name;
            }
            p += nameLen;
        }
        return "";
    }

    private static List<String> alpn(ByteBuf b, int data, int len) {
        if (len < 2 || b.getUnsignedShort(data) != len - 2) {
            return null;
        }
        List<String> out = new ArrayList<>(2);
        int p = data + 2;
        int end = data + len;
        while (p < end) {
            int n = b.getUnsignedByte(p);
            p++;
            if (n == 0 || p + n > end) {
                return null;
            }
            out.add(b.toString(p, n, StandardCharsets.US_ASCII));
            p += n;
        }
        return out;
    }

    /** TLS 1.2 suites authenticated by an ECDSA certificate (IANA registry, ECDHE_ECDSA and ECDH_ECDSA). */
    static boolean isEcdsaSuite(int suite) {
        if (suite == 0xCCA9) { // ECDHE_ECDSA_WITH_CHACHA20_POLY1305
            return true;
        }
        if ((suite >>> 8) != 0xC0) {
            return false;
        }
        int s = suite & 0xFF;
        return (s >= 0x01 && s <= 0x0A)                  // ECDH(E)_ECDSA with NULL/RC4/3DES/AES-CBC-SHA
                || (s >= 0x23 && s <= 0x26)              // AES-CBC-SHA256/384
                || (s >= 0x2B && s <= 0x2E)              // AES-GCM
                || (s >= 0x48 && s <= 0x4B)              // ARIA-CBC
                || (s >= 0x5C && s <= 0x5F)              // ARIA-GCM
                || (s >= 0x72 && s <= 0x75)              // CAMELLIA-CBC
                || (s >= 0x86 && s <= 0x89)              // CAMELLIA-GCM
                || (s >= 0xAC && s <= 0xAF);             // AES-CCM
    }
}
