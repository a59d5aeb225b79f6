package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sohoa-vn/sohoa/pipeline/bag"
	"github.com/sohoa-vn/sohoa/pipeline/seal"
)

// TestKeygenProcessSealVerify is the handover officer's path end to end:
// development keys, two sealed batches in a chain, verify with and without
// the previous package, openssl, and a tampered package.
func TestKeygenProcessSealVerify(t *testing.T) {
	keys := t.TempDir()
	code, stdout, stderr := sohoa(t, "keygen", "--out", keys, "--org", "Sở Nội vụ tỉnh Bắc Minh", "--org-id", "H49.64.33")
	if code != exitOK || !strings.Contains(stdout, "DEVELOPMENT") || !strings.Contains(stdout, "trust.yaml") {
		t.Fatalf("keygen: exit %d\n%s%s", code, stdout, stderr)
	}
	if code, _, stderr := sohoa(t, "keygen", "--out", keys); code != exitFailed || !strings.Contains(stderr, "already exists") {
		t.Errorf("keygen over existing keys: exit %d %s", code, stderr)
	}
	ca := filepath.Join(keys, seal.DevCAFile)
	t.Setenv("SOHOA_CONFIG", "")
	t.Setenv("SOHOA_SEAL_KEYFILE", filepath.Join(keys, seal.DevKeyFile))
	t.Setenv("SOHOA_SEAL_CERTFILE", filepath.Join(keys, seal.DevCertFile))

	out := t.TempDir()
	t.Cleanup(func() { seal.MakeWritable(out) })
	code, stdout, stderr = sohoa(t, "process", "../../testdata/batch", "--out", out, "--workers", "2", "--quiet")
	if code != exitOK || !strings.Contains(stdout, "seal       SHA-256 ") || !strings.Contains(stdout, "previous   none") {
		t.Fatalf("process: exit %d\n%s\n%s", code, stdout, stderr)
	}
	first := filepath.Join(out, "demo-2025-001")
	// The CA alone does not say whose package it is: not checked, exit 1.
	code, stdout, _ = sohoa(t, "verify", first, "--ca", ca)
	if code != exitFailed || !strings.Contains(stdout, "NOT verified: signature not checked") || !strings.Contains(stdout, "no trust configured (--trust)") {
		t.Errorf("verify --ca without --trust: exit %d\n%s", code, stdout)
	}
	// The handover record says so plainly.
	rec := filepath.Join(t.TempDir(), "bb.pdf")
	code, _, stderr = sohoa(t, "handover", "record", first, "--out", rec, "--ca", ca)
	if txt, err := os.ReadFile(strings.TrimSuffix(rec, ".pdf") + ".txt"); err != nil || code != exitFailed ||
		!strings.Contains(string(txt), "NGƯỜI KÝ CHƯA ĐƯỢC ĐỐI CHIẾU với tổ chức") || !strings.Contains(string(txt), "Chưa kết luận") {
		t.Errorf("handover record --ca without --trust: exit %d, %v\n%s\n%s", code, err, txt, stderr)
	}
	trust := filepath.Join(keys, DevTrustFile) // written by keygen --org-id: the certificate pinned
	code, stdout, _ = sohoa(t, "verify", first, "--ca", ca, "--trust", trust)
	if code != exitOK || !strings.Contains(stdout, "verified") || !strings.Contains(stdout, "NOT FOR PRODUCTION") {
		t.Fatalf("verify: exit %d\n%s", code, stdout)
	}
	// Trust in another certificate of the same organisation's name: not its signer.
	otherKeys := t.TempDir()
	if code, _, stderr := sohoa(t, "keygen", "--out", otherKeys, "--org", "Sở Nội vụ tỉnh Bắc Minh"); code != exitOK {
		t.Fatalf("keygen: %s", stderr)
	}
	wrong := writeTrust(t, "organisations:\n  - identifier: H49.64.33\n    certFiles: ["+filepath.Join(otherKeys, seal.DevCertFile)+"]\n")
	if code, stdout, _ := sohoa(t, "verify", first, "--ca", ca, "--trust", wrong); code != exitFailed ||
		!strings.Contains(stdout, `is not organisation "H49.64.33"'s: not one of the 1 pinned certificates`) {
		t.Errorf("verify with another pinned certificate: exit %d\n%s", code, stdout)
	}
	// Every PDF is signed, and verify says so in one line.
	pdfs, _ := filepath.Glob(filepath.Join(first, "data", "*", "*.pdf"))
	if len(pdfs) == 0 {
		t.Fatal("no PDF in the package")
	}
	if want := fmt.Sprintf("  PDFs       %d/%d tệp có chữ ký hợp lệ của Sở Nội vụ tỉnh Bắc Minh\n", len(pdfs), len(pdfs)); !strings.Contains(stdout, want) {
		t.Errorf("verify: no %q in:\n%s", want, stdout)
	}
	for _, p := range pdfs {
		b, err := exec.Command("pdfsig", p).CombinedOutput()
		if err != nil || !strings.Contains(string(b), "Signature is Valid") || !strings.Contains(string(b), "Total document signed") ||
			!strings.Contains(string(b), "ETSI.CAdES.detached") {
			t.Errorf("pdfsig %s: %v\n%s", p, err, b)
		}
	}
	if _, err := exec.LookPath("openssl"); err != nil {
		t.Fatalf("openssl is required (scripts/deps.sh installs it): %v", err)
	}
	cmd := exec.Command("openssl", "cms", "-verify", "-binary", "-content", bag.TagManifestFile,
		"-in", bag.SignatureFile, "-inform", "DER", "-CAfile", ca, "-out", os.DevNull)
	cmd.Dir = first
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("openssl cms -verify: %v\n%s", err, b)
	}
	if code, stdout, _ := sohoa(t, "verify", first); code != exitFailed || !strings.Contains(stdout, "certificate: no CA certificate given") {
		t.Errorf("verify without --ca: exit %d\n%s", code, stdout)
	}

	// The next batch of the organisation links to the first one's seal.
	code, stdout, stderr = sohoa(t, "process", copyBatch(t, "demo-2025-002"), "--out", out, "--workers", "2", "--quiet")
	if code != exitOK || !strings.Contains(stdout, "(batch demo-2025-001)") {
		t.Fatalf("process second batch: exit %d\n%s\n%s", code, stdout, stderr)
	}
	second := filepath.Join(out, "demo-2025-002")
	if code, stdout, _ := sohoa(t, "verify", second, "--ca", ca, "--trust", trust, "--previous", first); code != exitOK || !strings.Contains(stdout, "link checked") {
		t.Errorf("verify --previous: exit %d\n%s", code, stdout)
	}
	fp, err := seal.Fingerprint(first)
	if err != nil {
		t.Fatal(err)
	}
	if code, stdout, _ := sohoa(t, "verify", second, "--ca", ca, "--trust", trust, "--previous-seal", fp); code != exitOK || !strings.Contains(stdout, "link checked") {
		t.Errorf("verify --previous-seal: exit %d\n%s", code, stdout)
	}
	if code, stdout, _ := sohoa(t, "verify", first, "--ca", ca, "--previous", second); code != exitFailed ||
		!strings.Contains(stdout, "bag-info.txt: no Previous-Seal-SHA256") {
		t.Errorf("verify with the wrong previous package: exit %d\n%s", code, stdout)
	}

	// A flipped byte and an extra file are each named on their own line.
	seal.MakeWritable(first)
	pdf := "data/H49.64.33.2024.01.VTLT/H49.64.33.2024.01.VTLT.1.pdf"
	data, err := os.ReadFile(filepath.Join(first, pdf))
	if err != nil {
		t.Fatal(err)
	}
	data[len(data)/2] ^= 1
	os.WriteFile(filepath.Join(first, pdf), data, 0o644)
	os.WriteFile(filepath.Join(first, "data", "extra.txt"), []byte("x"), 0o644)
	code, stdout, _ = sohoa(t, "verify", first, "--ca", ca, "--trust", trust)
	for _, want := range []string{pdf + ": checksum mismatch", "data/extra.txt: not listed in manifest-sha256.txt",
		pdf + ": digest: ", "NOT verified (3 problem(s))", fmt.Sprintf("  PDFs       %d/%d tệp có chữ ký hợp lệ", len(pdfs)-1, len(pdfs))} {
		if !strings.Contains(stdout, want) {
			t.Errorf("tampered package: exit %d, output lacks %q:\n%s", code, want, stdout)
		}
	}
	if code != exitFailed {
		t.Errorf("tampered package: exit %d", code)
	}

	// --overwrite replaces a sealed (read-only) package and seals it again.
	code, stdout, stderr = sohoa(t, "process", "../../testdata/batch", "--out", out, "--workers", "2", "--quiet", "--overwrite")
	if code != exitOK {
		t.Fatalf("process --overwrite: exit %d\n%s\n%s", code, stdout, stderr)
	}
	if code, stdout, _ := sohoa(t, "verify", first, "--ca", ca, "--trust", trust); code != exitOK {
		t.Errorf("verify after --overwrite: exit %d\n%s", code, stdout)
	}
}

// writeTrust writes a trust file (seal.LoadTrust) and returns its path.
func writeTrust(t *testing.T, body string) string {
	t.Helper()
	f := filepath.Join(t.TempDir(), "trust.yaml")
	if err := os.WriteFile(f, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return f
}

func TestProcessRefusesBadSealConfig(t *testing.T) {
	t.Setenv("SOHOA_CONFIG", "")
	t.Setenv("SOHOA_SEAL_KEYFILE", filepath.Join(t.TempDir(), "missing.key"))
	t.Setenv("SOHOA_SEAL_CERTFILE", filepath.Join(t.TempDir(), "missing.pem"))
	out := t.TempDir()
	code, _, stderr := sohoa(t, "process", "../../testdata/batch", "--out", out, "--quiet")
	if code != exitUsage || !strings.Contains(stderr, "signing key") {
		t.Errorf("missing key: exit %d %s", code, stderr)
	}
	if entries, _ := os.ReadDir(out); len(entries) != 0 {
		t.Errorf("something was written with a bad signing setup: %v", entries)
	}
}
