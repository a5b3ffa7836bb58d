package io.stapled.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.netty.handler.ssl.SslProvider;
import io.stapled.config.GlobalConfig.TlsProvider;
import org.junit.jupiter.api.Test;

/** BoringSSL unless the config asks for the JDK; never a silent fallback. */
class TlsProvidersTest {

    @Test
    void boringSslIsUsedWhenItLoads() {
        assertEquals(SslProvider.OPENSSL_REFCNT, TlsProviders.resolve(TlsProvider.OPENSSL));
        assertEquals(SslProvider.JDK, TlsProviders.resolve(TlsProvider.JDK));
    }

    @Test
    void missingNativeLibraryRefusesToStartWithTheCause() {
        UnsatisfiedLinkError cause = new UnsatisfiedLinkError("no netty_tcnative_linux_x86_64 in java.library.path");
        TlsSetupException e = assertThrows(TlsSetupException.class,
                () -> TlsProviders.resolve(TlsProvider.OPENSSL, false, cause));
        assertEquals("BoringSSL (netty-tcnative) cannot be loaded on this platform: no netty_tcnative_linux_x86_64"
                + " in java.library.path; set global.tls_provider: jdk to use the JDK's TLS (no OCSP stapling)",
                e.getMessage());
        assertSame(cause, e.getCause());
    }

    @Test
    void jdkIsUsedOnlyWhenAsked() {
        assertEquals(SslProvider.JDK, TlsProviders.resolve(TlsProvider.JDK, false, null));
    }
}
