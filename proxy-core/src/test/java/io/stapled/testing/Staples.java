package io.stapled.testing;

import java.time.Duration;
import java.time.Instant;

import io.stapled.ocsp.Staple;
import io.stapled.testkit.TestPki;
import io.stapled.testkit.pki.IssuedCertificate;

/** Engine {@link Staple}s for a {@link TestPki} leaf (the test kit depends on no stapled module, so not there). */
public final class Staples {
    private Staples() { }

    /** A good OCSP response for {@code leaf}, signed by its issuer, valid for {@code validity}. */
    public static Staple goodStaple(IssuedCertificate leaf, Duration validity) {
        Instant now = Instant.now();
        return staple(leaf, now, now.minusSeconds(60), now.plus(validity));
    }

    /** A good OCSP response for {@code leaf}, signed by its issuer, with the given times. */
    public static Staple staple(IssuedCertificate leaf, Instant producedAt, Instant thisUpdate, Instant nextUpdate) {
        byte[] der = TestPki.goodOcspResponse(leaf, producedAt, thisUpdate, nextUpdate);
        return new Staple(der, Staple.CertStatus.GOOD, thisUpdate, nextUpdate, producedAt, Staple.Origin.FETCHED,
                producedAt);
    }
}
