package signertest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"testing"
	"time"

	"github.com/sohoa-vn/sohoa/pipeline/seal"
)

// RSA returns a development signer for organisation org whose key is RSA
// 2048 (PKCS #1 v1.5 signatures are deterministic: the same bytes signed at
// the same time give the same signature), certified from an hour before now
// by a throw-away development CA, and that CA as a pool of roots.
func RSA(t testing.TB, org string, now time.Time) (*seal.FileSigner, *x509.CertPool) {
	t.Helper()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ca, _, err := seal.DevelopmentCA(org, caKey, now)
	if err != nil {
		t.Fatal(err)
	}
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := seal.DevelopmentCertificate(org, key.Public(), ca, caKey, now)
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AddCert(ca)
	return &seal.FileSigner{Key: key, Cert: cert}, roots
}
