package aip_test

import (
	"context"
	"crypto/x509"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/sohoa-vn/sohoa/ocr"
	"github.com/sohoa-vn/sohoa/pipeline"
	"github.com/sohoa-vn/sohoa/pipeline/aip"
	"github.com/sohoa-vn/sohoa/pipeline/pades"
	"github.com/sohoa-vn/sohoa/pipeline/pdfa"
	"github.com/sohoa-vn/sohoa/pipeline/seal"
	"github.com/sohoa-vn/sohoa/pipeline/seal/token"
)

// fixture is the signed bag of testdata/batch, made once for the test binary
// with the real pipeline (Tesseract, PDF/A, a SoftHSM2 token).
var fixture struct {
	bag   string // the bag folder (read only: tests copy it to change it)
	roots *x509.CertPool
	check aip.CheckOptions // the CA and the organisation's trust (its signing certificate pinned)
}

// started is the pinned start time of the fixture's run.
var started = time.Date(2025, 3, 8, 14, 5, 9, 0, time.FixedZone("", 7*3600))

func TestMain(m *testing.M) {
	if err := ocr.ReexecSingleThreaded(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	dir, err := os.MkdirTemp("", "aip-fixture-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	code := 2
	if err := makeFixture(dir); err != nil {
		fmt.Fprintln(os.Stderr, "fixture:", err)
	} else {
		code = m.Run()
	}
	seal.MakeWritable(dir)
	os.RemoveAll(dir)
	os.Exit(code)
}

func makeFixture(dir string) error {
	hsm := filepath.Join(dir, "hsm")
	os.Setenv("SOFTHSM2_CONF", filepath.Join(hsm, "softhsm2.conf"))
	dt, err := token.WriteDevelopmentToken(hsm, "Sở Nội vụ tỉnh Bắc Minh", "4321", time.Now())
	if err != nil {
		return err
	}
	key, err := token.Open(dt.Config)
	if err != nil {
		return err
	}
	defer key.Close()
	caPEM, err := os.ReadFile(dt.CA)
	if err != nil {
		return err
	}
	cas, err := seal.ParseCertificates(caPEM)
	if err != nil {
		return err
	}
	fixture.roots = x509.NewCertPool()
	fixture.roots.AddCert(cas[0])
	ctx := context.Background()
	b, err := pipeline.Load(ctx, "../../testdata/batch", pipeline.LoadOptions{})
	if err != nil {
		return err
	}
	out := filepath.Join(dir, "out")
	_, err = pipeline.Process(ctx, b, out, pipeline.Options{Workers: 2, Languages: "vie", PDF: pdfa.Options{Part: "2b"},
		Producer: "sohoa 0.0.0-test", Now: func() time.Time { return started },
		Signer: &pades.Signer{Key: key, Opts: pades.Options{Roots: fixture.roots}}})
	if err != nil {
		return err
	}
	fixture.bag = filepath.Join(out, b.ID)
	fixture.check = aip.CheckOptions{Roots: fixture.roots, Trust: seal.NewTrust("H49.64.33", key.Certificate()), OrgID: "H49.64.33"}
	return nil
}
