#!/usr/bin/env bash
# Makes the benchmark PKI with the openssl CLI, in HAProxy's layout, into $1 (default ./work/pki):
#   root CA -> intermediate CA -> { ecdsa.bench.test (P-256), rsa.bench.test (RSA-2048),
#                                   nostaple.bench.test (P-256, no OCSP URL: served without a staple) }
#   intermediate -> delegated OCSP responder (OCSPSigning EKU)
#   certs/<name>.pem         leaf + intermediate + key (HAProxy bundle)
#   certs/<name>.pem.issuer  the intermediate
#   certs/<name>.pem.ocsp    a DER OCSP response from a real `openssl ocsp` responder (-respout)
# Every command has a timeout; the responder is stopped before the script returns.
set -euo pipefail

OUT=${1:-./work/pki}
OCSP_PORT=${OCSP_PORT:-18888}
T="timeout 30"
mkdir -p "$OUT/ca" "$OUT/certs"
cd "$OUT/ca"
rm -f index.txt index.txt.attr ../certs/*

cat > ext.cnf <<EOF
[bench_ca]
basicConstraints=critical,CA:true
keyUsage=critical,keyCertSign,cRLSign,digitalSignature
subjectKeyIdentifier=hash
authorityKeyIdentifier=keyid
[bench_leaf]
basicConstraints=critical,CA:false
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth
subjectKeyIdentifier=hash
authorityKeyIdentifier=keyid
authorityInfoAccess=OCSP;URI:http://127.0.0.1:${OCSP_PORT}/
subjectAltName=DNS:\${ENV::SAN}
[bench_leaf_noocsp]
basicConstraints=critical,CA:false
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth
subjectKeyIdentifier=hash
authorityKeyIdentifier=keyid
subjectAltName=DNS:\${ENV::SAN}
[bench_responder]
basicConstraints=critical,CA:false
keyUsage=critical,digitalSignature
extendedKeyUsage=OCSPSigning
subjectKeyIdentifier=hash
authorityKeyIdentifier=keyid
EOF

export SAN=unused
$T openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout root.key -out root.pem \
    -subj "/CN=stapled bench root" -days 30 \
    -addext "basicConstraints=critical,CA:true" -addext "keyUsage=critical,keyCertSign,cRLSign,digitalSignature" 2>/dev/null

sign() { # name subject ext keyfile days
    $T openssl req -new -key "$4" -subj "$2" -out "$1.csr" 2>/dev/null
    $T openssl x509 -req -in "$1.csr" -CA "$ISSUER.pem" -CAkey "$ISSUER.key" -CAcreateserial \
        -out "$1.pem" -days "$5" -extfile ext.cnf -extensions "bench_$3" 2>/dev/null
}

openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out inter.key 2>/dev/null
ISSUER=root sign inter "/CN=stapled bench intermediate" ca inter.key 30
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out responder.key 2>/dev/null
ISSUER=inter sign responder "/CN=stapled bench OCSP responder" responder responder.key 30

openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out ecdsa.key 2>/dev/null
SAN=ecdsa.bench.test ISSUER=inter sign ecdsa "/CN=ecdsa.bench.test" leaf ecdsa.key 20
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out rsa.key 2>/dev/null
SAN=rsa.bench.test ISSUER=inter sign rsa "/CN=rsa.bench.test" leaf rsa.key 20
# The same key type and chain as ecdsa.bench.test, but no OCSP URL: the handshake without a staple.
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out nostaple.key 2>/dev/null
SAN=nostaple.bench.test ISSUER=inter sign nostaple "/CN=nostaple.bench.test" leaf_noocsp nostaple.key 20
cat nostaple.pem inter.pem nostaple.key > ../certs/nostaple.pem
cp inter.pem ../certs/nostaple.pem.issuer

: > index.txt
for leaf in ecdsa rsa; do
    serial=$(openssl x509 -in $leaf.pem -noout -serial | cut -d= -f2)
    enddate=$(date -u -d "$(openssl x509 -in $leaf.pem -noout -enddate | cut -d= -f2)" +%y%m%d%H%M%SZ)
    subject=$(openssl x509 -in $leaf.pem -noout -subject -nameopt compat | sed 's/^subject=//')
    printf 'V\t%s\t\t%s\tunknown\t%s\n' "$enddate" "$serial" "$subject" >> index.txt
    cat $leaf.pem inter.pem $leaf.key > ../certs/$leaf.pem
    cp inter.pem ../certs/$leaf.pem.issuer
done

cat inter.pem responder.pem > chain-for-verify.pem
# A real responder (openssl 3.0's -port takes a number only, so it listens on all addresses for
# the few seconds it runs; the client talks to it on loopback); -nrequest bounds it, timeout bounds it again.
timeout 60 openssl ocsp -index index.txt -port ${OCSP_PORT} -rsigner responder.pem -rkey responder.key \
    -CA inter.pem -ndays 7 -nrequest 2 > responder.log 2>&1 &
RESPONDER=$!
trap 'kill $RESPONDER 2>/dev/null || true' EXIT
for i in $(seq 1 50); do
    grep -q 'waiting for OCSP' responder.log 2>/dev/null && break
    sleep 0.1
done
for leaf in ecdsa rsa; do
    $T openssl ocsp -issuer inter.pem -cert $leaf.pem -url http://127.0.0.1:${OCSP_PORT}/ \
        -CAfile root.pem -verify_other chain-for-verify.pem \
        -respout ../certs/$leaf.pem.ocsp > ocsp-$leaf.txt 2>&1
    grep -q ': good' ocsp-$leaf.txt || { echo "OCSP for $leaf not good:"; cat ocsp-$leaf.txt; exit 1; }
done
wait $RESPONDER 2>/dev/null || true
trap - EXIT
cp root.pem ../root.pem
echo "PKI ready in $OUT (certs: $(ls ../certs | tr '\n' ' '))"
