package main

import (
	"context"
	"crypto/x509"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sohoa-vn/sohoa/pipeline/pades/tsatest"
	"github.com/sohoa-vn/sohoa/pipeline/seal"
)

// TestKeygenPKCS11ProcessVerify runs the token path end to end: keygen
// --pkcs11 puts a development key on a SoftHSM2 token (temporary
// SOFTHSM2_CONF), the sample batch is processed with it and a loopback RFC
// 3161 TSA, every PDF carries a valid timestamped PAdES signature, and verify
// says so. With the TSA stopped the documents fail with the reason and the
// package is not sealed; once it is back, the run finishes.
func TestKeygenPKCS11ProcessVerify(t *testing.T) {
	keys := t.TempDir()
	t.Setenv("SOFTHSM2_CONF", filepath.Join(keys, "softhsm2.conf"))
	code, stdout, stderr := sohoa(t, "keygen", "--pkcs11", "--out", keys, "--org", "Sở Nội vụ tỉnh Bắc Minh", "--org-id", "H49.64.33")
	if code != exitOK || !strings.Contains(stdout, "DEVELOPMENT key on a SoftHSM2 token") {
		t.Fatalf("keygen --pkcs11: exit %d\n%s%s", code, stdout, stderr)
	}
	tsa := tsatest.Start(t)
	ca := filepath.Join(keys, seal.DevCAFile)
	caPEM, err := os.ReadFile(ca)
	if err != nil {
		t.Fatal(err)
	}
	bundle := filepath.Join(keys, "trusted.pem")
	if err := os.WriteFile(bundle, append(caPEM, tsa.CAPEM...), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("SOHOA_CONFIG", "")
	t.Setenv("SOHOA_SEAL_CAFILE", ca)
	t.Setenv("SOHOA_SEAL_PKCS11_MODULE", "/usr/lib/softhsm/libsofthsm2.so")
	t.Setenv("SOHOA_SEAL_PKCS11_TOKENLABEL", "sohoa-dev")
	t.Setenv("SOHOA_SEAL_PKCS11_KEYLABEL", "sohoa-seal-dev")
	t.Setenv("SOHOA_SEAL_PKCS11_PINFILE", filepath.Join(keys, "pin"))
	t.Setenv("SOHOA_SEAL_TSAURL", tsa.URL)

	out := t.TempDir()
	t.Cleanup(func() { seal.MakeWritable(out) })
	code, stdout, stderr = sohoa(t, "process", "../../testdata/batch", "--out", out, "--workers", "2", "--quiet")
	if code != exitOK || !strings.Contains(stdout, "seal       SHA-256 ") {
		t.Fatalf("process through the token: exit %d\n%s\n%s", code, stdout, stderr)
	}
	pkg := filepath.Join(out, "demo-2025-001")
	pdfs, _ := filepath.Glob(filepath.Join(pkg, "data", "*", "*.pdf"))
	if len(pdfs) == 0 {
		t.Fatal("no PDF in the package")
	}
	for _, p := range pdfs {
		b, err := exec.Command("pdfsig", p).CombinedOutput()
		for _, want := range []string{"Signature is Valid", "Total document signed", "ETSI.CAdES.detached", "sohoa DEVELOPMENT ONLY"} {
			if err != nil || !strings.Contains(string(b), want) {
				t.Errorf("pdfsig %s: %v, no %q:\n%s", p, err, want, b)
			}
		}
	}
	if tsa.Served() < len(pdfs)+1 {
		t.Errorf("the TSA issued %d timestamps for %d PDFs and the seal", tsa.Served(), len(pdfs))
	}
	// The package seal is timestamped too, so it outlives the certificate.
	certs, err := seal.ParseCertificates(append(caPEM, tsa.CAPEM...))
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	for _, c := range certs {
		roots.AddCert(c)
	}
	if r, err := seal.Verify(context.Background(), pkg, seal.VerifyOptions{Roots: roots}); err != nil || r.Stamped.IsZero() {
		t.Errorf("the package seal has no verified timestamp (%v): %+v", err, r)
	}
	trust := writeTrust(t, "organisations:\n  - identifier: H49.64.33\n    subject: {organization: \"Sở Nội vụ tỉnh Bắc Minh\", organizationalUnit: \"sohoa DEVELOPMENT ONLY - NOT FOR PRODUCTION\"}\n")
	code, stdout, _ = sohoa(t, "verify", pkg, "--ca", bundle, "--trust", trust)
	if code != exitOK || !strings.Contains(stdout, "tệp có chữ ký hợp lệ của Sở Nội vụ tỉnh Bắc Minh") {
		t.Errorf("verify: exit %d\n%s", code, stdout)
	}

	// The TSA is down: every document fails with the reason, nothing is sealed.
	tsa.Stop()
	served := tsa.Served()
	batch := copyBatch(t, "demo-2025-002")
	code, stdout, stderr = sohoa(t, "process", batch, "--out", out, "--workers", "2", "--quiet")
	if tsa.Served() != served {
		t.Errorf("the stopped TSA served %d timestamps", tsa.Served()-served)
	}
	if code != exitFailed || !strings.Contains(stdout+stderr, "time-stamping authority unavailable") || !strings.Contains(stdout+stderr, tsa.URL) ||
		strings.Contains(stdout, "seal       SHA-256") {
		t.Errorf("process with the TSA down: exit %d\n%s\n%s", code, stdout, stderr)
	}
	// It is back: the retry finishes the batch, sealed.
	tsa.Restart()
	code, stdout, stderr = sohoa(t, "process", batch, "--out", out, "--workers", "2", "--quiet")
	if code != exitOK || !strings.Contains(stdout, "seal       SHA-256 ") {
		t.Errorf("process once the TSA is back: exit %d\n%s\n%s", code, stdout, stderr)
	}
	if code, stdout, _ := sohoa(t, "verify", filepath.Join(out, "demo-2025-002"), "--ca", bundle, "--trust", filepath.Join(keys, DevTrustFile)); code != exitOK {
		t.Errorf("verify the retried batch: exit %d\n%s", code, stdout)
	}
}
