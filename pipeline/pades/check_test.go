package pades

import (
	"bytes"
	"context"
	"crypto/x509"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sohoa-vn/sohoa/pipeline/seal"
)

// TestDirCheck checks the PDF signatures as one part of a package's verdict:
// every problem of a file becomes a problem of the package naming the file;
// without CA certificates the untrusted signer is left to the package's "not
// checked" verdict, while a changed byte still fails; files that are not
// regular (a FIFO named .pdf) are never opened, so the check cannot hang.
func TestDirCheck(t *testing.T) {
	pki := newPKI(t, "CA tỉnh Bắc Minh")
	signer := pki.issue(t, time.Now().Add(-time.Hour), time.Now().AddDate(1, 0, 0), x509.KeyUsageDigitalSignature)
	signed, err := Sign(context.Background(), testPDF(t), signer, Options{Roots: pki.roots})
	if err != nil {
		t.Fatal(err)
	}
	bad := bytes.Clone(signed)
	bad[len(bad)/3] ^= 0xff

	dir := t.TempDir()
	write := func(name string, b []byte) {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("data/H/H.1.pdf", signed)
	write("data/H/H.2.pdf", signed)
	write("data/originals/H/scan.pdf", []byte("an original is not sohoa's PDF")) // left out
	if err := syscall.Mkfifo(filepath.Join(dir, "data", "H", "fifo.pdf"), 0o644); err != nil {
		t.Fatal(err)
	}

	check := func(roots *x509.CertPool) (*DirCheck, *seal.Report) {
		t.Helper()
		c := &DirCheck{Options: VerifyOptions{Roots: roots}}
		r := &seal.Report{}
		if err := c.Check(context.Background(), dir, r); err != nil {
			t.Fatal(err)
		}
		return c, r
	}

	c, r := check(pki.roots)
	if len(r.Problems) != 0 || len(c.Results) != 2 || Summary(c.Results) != "2/2 tệp có chữ ký hợp lệ của Sở Nội vụ tỉnh Bắc Minh" {
		t.Fatalf("signed files: %d problems %v, %d results (%s); want none, 2", len(r.Problems), r.Problems, len(c.Results), Summary(c.Results))
	}
	if lines := Lines(c.Results); len(lines) != 2 || !strings.Contains(lines[0], "data/H/H.1.pdf: ký bởi Sở Nội vụ tỉnh Bắc Minh, thời gian ký ") ||
		!strings.Contains(lines[0], "+07:00") {
		t.Errorf("record lines: %q", lines)
	}
	if _, r := check(nil); len(r.Problems) != 0 {
		t.Errorf("without CA certificates: %v; want none (the package's own check says the signature was not checked)", r.Problems)
	}

	write("data/H/H.2.pdf", bad)
	for _, roots := range []*x509.CertPool{pki.roots, nil} {
		_, r := check(roots)
		if len(r.Problems) != 1 || r.Problems[0].Code != CodePDFSignature || r.Problems[0].Path != "data/H/H.2.pdf" ||
			!strings.Contains(r.Problems[0].Vi, "chữ ký số của tệp PDF không hợp lệ") {
			t.Errorf("a changed byte (CA given: %v): %+v; want one pdf-signature problem naming data/H/H.2.pdf", roots != nil, r.Problems)
		}
		if o := r.Outcome(); o != seal.Failed {
			t.Errorf("a changed byte (CA given: %v): outcome %v, want Failed", roots != nil, o)
		}
	}
}
