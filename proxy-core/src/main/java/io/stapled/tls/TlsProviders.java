package io.stapled.tls;

import static io.stapled.text.OneLine.oneLine;

import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslProvider;
import io.stapled.config.GlobalConfig;

/** Maps the configured provider to Netty's and refuses to start when BoringSSL cannot load. */
public final class TlsProviders {

    private TlsProviders() { }

    /**
     * The Netty provider for the configured one. {@code OPENSSL} means BoringSSL through netty-tcnative
     * with reference-counted contexts (freed deterministically by {@link TlsFrontend#close()}); there is
     * no silent fallback to the JDK: a missing native library is an error unless the config asks for JDK.
     */
    public static SslProvider resolve(GlobalConfig.TlsProvider configured) {
        if (configured == GlobalConfig.TlsProvider.JDK) {
            return SslProvider.JDK;
        }
        return resolve(configured, OpenSsl.isAvailable(), OpenSsl.unavailabilityCause());
    }

    static SslProvider resolve(GlobalConfig.TlsProvider configured, boolean openSslAvailable, Throwable cause) {
        if (configured == GlobalConfig.TlsProvider.JDK) {
            return SslProvider.JDK;
        }
        if (!openSslAvailable) {
            throw new TlsSetupException("BoringSSL (netty-tcnative) cannot be loaded on this platform: "
                    + (cause == null ? "unknown reason" : oneLine(cause))
                    + "; set global.tls_provider: jdk to use the JDK's TLS (no OCSP stapling)", cause);
        }
        return SslProvider.OPENSSL_REFCNT;
    }

    /**
     * Starts loading BoringSSL on a background thread: the native library, Netty's OpenSsl class and
     * its self-test take about half a second, which then overlaps parsing the command line, setting
     * up logging and reading the config. {@link #resolve} waits for it (the JVM's class
     * initialisation lock) and never does it twice.
     */
    public static void loadInBackground() {
        Thread t = new Thread(OpenSsl::isAvailable, "stapled-tls-load");
        t.setDaemon(true);
        t.start();
    }

    static boolean isOpenSsl(SslProvider provider) {
        return provider == SslProvider.OPENSSL || provider == SslProvider.OPENSSL_REFCNT;
    }
}
