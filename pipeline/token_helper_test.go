package pipeline

import (
	"crypto/x509"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/sohoa-vn/sohoa/pipeline/seal"
	"github.com/sohoa-vn/sohoa/pipeline/seal/token"
)

// devToken makes a SoftHSM2 development token in a temporary folder
// (SOFTHSM2_CONF points there for the rest of the test), opens its signing
// key, and returns the key, the CA as roots and the folder. The key is closed
// when the test ends.
func devToken(tb testing.TB, pin string) (*token.Signer, *x509.CertPool, string) {
	tb.Helper()
	hsm := tb.TempDir()
	tb.Setenv("SOFTHSM2_CONF", filepath.Join(hsm, "softhsm2.conf"))
	dt, err := token.WriteDevelopmentToken(hsm, "Sở Nội vụ tỉnh Bắc Minh", pin, time.Now())
	if err != nil {
		tb.Fatal(err)
	}
	key, err := token.Open(dt.Config)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { key.Close() })
	caPEM, err := os.ReadFile(dt.CA)
	if err != nil {
		tb.Fatal(err)
	}
	cas, err := seal.ParseCertificates(caPEM)
	if err != nil {
		tb.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AddCert(cas[0])
	return key, roots, hsm
}
