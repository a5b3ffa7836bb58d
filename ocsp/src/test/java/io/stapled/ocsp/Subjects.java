package io.stapled.ocsp;

import io.stapled.testkit.TestPki;
import io.stapled.testkit.pki.IssuedCertificate;

/** The engine's view of a {@link TestPki} leaf (the test kit depends on no stapled module, so not there). */
final class Subjects {
    private Subjects() { }

    static OcspSubject of(IssuedCertificate leaf) {
        return OcspSubject.of("cert-" + leaf.certificate().getSerialNumber(), leaf.certificate(),
                leaf.issuer().certificate(), null);
    }
}
