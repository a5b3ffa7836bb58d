package io.stapled.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Path;
import java.util.List;

import io.stapled.config.CertificateSource.OcspOptions;
import io.stapled.ocsp.StapleSlot;
import io.stapled.testkit.TestPki;
import org.junit.jupiter.api.Test;

/** Name lookup and ECDSA/RSA choice, with HAProxy's semantics. */
class CertificateSnapshotTest {

    private static ServingCertificate cert(KeyType type, List<String> names, List<String> excluded) {
        LoadedCertificate c = new LoadedCertificate(Path.of(type + "-" + names + ".pem"),
                List.of(TestPki.INTERMEDIATE.certificate()), null, type, names, excluded, null,
                OcspOptions.DEFAULT, List.of(), new StapleSlot(), false, null);
        return new ServingCertificate(c, null);
    }

    static ServingCertificate cert(KeyType type, String... names) {
        return cert(type, List.of(names), List.of());
    }

    @Test
    void exactThenWildcardThenDefault() {
        ServingCertificate def = cert(KeyType.EC, "default.test");
        ServingCertificate exact = cert(KeyType.EC, "www.shop.test");
        ServingCertificate wild = cert(KeyType.EC, "*.shop.test");
        CertificateSnapshot s = CertificateSnapshot.builder().add(def).add(wild).add(exact).build();
        assertSame(exact, s.lookup("www.shop.test").choose(true));
        assertSame(wild, s.lookup("api.shop.test").choose(true));
        assertSame(def, s.lookup("a.b.shop.test").choose(true), "a wildcard covers one label");
        assertSame(def, s.lookup("shop.test").choose(true), "a wildcard does not cover its parent");
        assertSame(def, s.lookup(null).choose(true));
        assertSame(def, s.lookup("").choose(true));
        assertSame(exact, s.lookupName("WWW.Shop.Test.").choose(true));
    }

    @Test
    void pairServesEcdsaWhenAcceptedAndRsaOtherwise() {
        ServingCertificate ec = cert(KeyType.EC, "site.test");
        ServingCertificate rsa = cert(KeyType.RSA, "site.test");
        CertificateSnapshot s = CertificateSnapshot.builder().add(rsa).add(ec).build();
        assertSame(ec, s.lookup("site.test").choose(true));
        assertSame(rsa, s.lookup("site.test").choose(false));
        // the default is the first certificate, with its twin
        assertSame(ec, s.defaultPair().choose(true));
        assertSame(rsa, s.defaultPair().choose(false));
    }

    @Test
    void aLoneCertificateIsServedWhateverTheClientPrefers() {
        ServingCertificate ec = cert(KeyType.EC, "ec.test");
        ServingCertificate rsa = cert(KeyType.RSA, "rsa.test");
        CertificateSnapshot s = CertificateSnapshot.builder().add(ec).add(rsa).build();
        assertSame(ec, s.lookup("ec.test").choose(false));
        assertSame(rsa, s.lookup("rsa.test").choose(true));
    }

    @Test
    void exactEcdsaFallsBackToTheWildcardsRsaForAnRsaOnlyClient() {
        ServingCertificate def = cert(KeyType.EC, "default.test");
        ServingCertificate exactEc = cert(KeyType.EC, "www.shop.test");
        ServingCertificate wildRsa = cert(KeyType.RSA, "*.shop.test");
        ServingCertificate wildEc = cert(KeyType.EC, "*.shop.test");
        CertificateSnapshot s = CertificateSnapshot.builder().add(def).add(exactEc).add(wildRsa).add(wildEc).build();
        assertSame(exactEc, s.lookup("www.shop.test").choose(true), "exact first");
        assertSame(wildRsa, s.lookup("www.shop.test").choose(false), "then the wildcard's RSA");
        assertSame(def, s.defaultPair().choose(false), "the default pair is not widened");

        // an exact RSA serves everyone: the wildcard's ECDSA does not take over
        ServingCertificate exactRsa = cert(KeyType.RSA, "rsa.shop.test");
        s = CertificateSnapshot.builder().add(def).add(exactRsa).add(wildEc).build();
        assertSame(exactRsa, s.lookup("rsa.shop.test").choose(true));

        // a wildcard RSA that excludes the name does not fill in for it
        ServingCertificate excluding = cert(KeyType.RSA, List.of("*.shop.test"), List.of("www.shop.test"));
        s = CertificateSnapshot.builder().add(def).add(exactEc).add(excluding).build();
        assertSame(exactEc, s.lookup("www.shop.test").choose(false));
    }

    @Test
    void firstCertificateOfAKeyTypeWinsAName() {
        ServingCertificate first = cert(KeyType.EC, "dup.test");
        ServingCertificate second = cert(KeyType.EC, "dup.test");
        CertificateSnapshot s = CertificateSnapshot.builder().add(first).add(second).build();
        assertSame(first, s.lookup("dup.test").choose(true));
    }

    @Test
    void exclusionKeepsAWildcardFromAName() {
        ServingCertificate def = cert(KeyType.EC, "default.test");
        ServingCertificate wildEc = cert(KeyType.EC, List.of("*.corp.test"), List.of("secret.corp.test"));
        ServingCertificate wildRsa = cert(KeyType.RSA, "*.corp.test");
        ServingCertificate listed = cert(KeyType.EC, List.of("*.intra.test", "vpn.intra.test"), List.of("vpn.intra.test"));
        CertificateSnapshot s = CertificateSnapshot.builder().add(def).add(wildEc).add(wildRsa).add(listed).build();
        assertSame(wildEc, s.lookup("www.corp.test").choose(true));
        CertificatePair secret = s.lookup("secret.corp.test");
        assertNull(secret.ecdsa(), "the excluding certificate must not serve the name");
        assertSame(wildRsa, secret.choose(true), "the other certificate of the wildcard still does");
        assertSame(def, s.lookup("vpn.intra.test").choose(true), "excluded and nothing else: the default");
        assertSame(listed, s.lookup("mail.intra.test").choose(true));
    }

    @Test
    void explicitDefault() {
        ServingCertificate a = cert(KeyType.EC, "a.test");
        ServingCertificate b = cert(KeyType.RSA, "b.test");
        CertificateSnapshot s = CertificateSnapshot.builder().add(a).add(b).defaultCertificate(b).build();
        assertSame(b, s.lookup("unknown.test").choose(true));
        assertEquals(List.of(a, b), s.certificates());
    }

    @Test
    void storeSwapsSnapshotsWhole() {
        CertificateSnapshot one = CertificateSnapshot.builder().add(cert(KeyType.EC, "one.test")).build();
        CertificateSnapshot two = CertificateSnapshot.builder().add(cert(KeyType.EC, "two.test")).build();
        CertificateStore store = new CertificateStore(one);
        assertSame(one, store.current());
        assertSame(one, store.replace(two));
        assertSame(two, store.current());
        assertThrows(IllegalArgumentException.class, () -> store.replace(null));
        assertThrows(IllegalStateException.class, () -> CertificateSnapshot.builder().build());
    }

    @Test
    void replacingPutsTheNewCertificateInTheOldOnesPlaceAndKeepsTheDefault() {
        ServingCertificate first = cert(KeyType.EC, "first.test");
        ServingCertificate chosen = cert(KeyType.EC, "chosen.test");
        CertificateSnapshot s = CertificateSnapshot.builder().add(first).add(chosen).defaultCertificate(chosen).build();

        ServingCertificate renamed = cert(KeyType.EC, "renamed.test");
        CertificateSnapshot r = s.replacing(first, renamed);
        assertEquals(List.of(renamed, chosen), r.certificates(), "same place in the order");
        assertSame(renamed, r.lookup("renamed.test").choose(true));
        assertSame(chosen, r.lookup("first.test").choose(true), "the old names go with the old certificate");
        assertSame(chosen, r.defaultPair().choose(true), "a configured default that is not the first stays");

        ServingCertificate next = cert(KeyType.EC, "next.test");
        assertSame(next, s.replacing(chosen, next).defaultPair().choose(true), "the default moves to its replacement");
        assertSame(s.lookup("first.test").choose(true), first, "the snapshot replaced is unchanged");
    }

    @Test
    void addingAndRemovingBuildNewSnapshotsAndKeepTheDefault() {
        ServingCertificate def = cert(KeyType.EC, "default.test");
        ServingCertificate wild = cert(KeyType.EC, "*.shop.test");
        ServingCertificate added = cert(KeyType.EC, "www.shop.test");
        CertificateSnapshot s = CertificateSnapshot.builder().add(def).add(wild).build();
        CertificateSnapshot more = s.adding(added);
        assertSame(wild, s.lookup("www.shop.test").choose(true), "the old snapshot is unchanged");
        assertSame(added, more.lookup("www.shop.test").choose(true));
        assertSame(def, more.defaultCertificate());

        CertificateSnapshot less = more.removing(added);
        assertSame(wild, less.lookup("www.shop.test").choose(true), "the name falls back to the wildcard");
        assertSame(def, less.removing(wild).lookup("www.shop.test").choose(true), "then to the default");
        assertThrows(IllegalArgumentException.class, () -> less.removing(def), "the default stays");
        assertThrows(IllegalArgumentException.class, () -> less.removing(added), "not in the snapshot");
    }

    @Test
    void withStrictSniTheDefaultMayBeRemovedButNotTheLastCertificate() {
        ServingCertificate first = cert(KeyType.EC, "first.test");
        ServingCertificate second = cert(KeyType.EC, "second.test");
        CertificateSnapshot s = CertificateSnapshot.builder().add(first).add(second).strictSni(true).build();
        CertificateSnapshot left = s.removing(first);
        assertSame(second, left.defaultCertificate());
        assertNull(left.lookup("first.test"), "strict SNI: no fallback for the removed name");
        assertThrows(IllegalArgumentException.class, () -> left.removing(second));
    }
}
