package pades

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"

	"github.com/sohoa-vn/sohoa/pipeline/pades/tsatest"
	"github.com/sohoa-vn/sohoa/pipeline/seal"
)

// testPKI is a CA and ways to issue certificates from it.
type testPKI struct {
	ca    *x509.Certificate
	key   crypto.Signer
	roots *x509.CertPool
}

func newPKI(t testing.TB, name string) *testPKI {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-48 * time.Hour), NotAfter: time.Now().AddDate(5, 0, 0),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(der)
	roots := x509.NewCertPool()
	roots.AddCert(ca)
	return &testPKI{ca: ca, key: key, roots: roots}
}

// issue returns a file signer whose certificate runs from notBefore to notAfter with the given key usage.
func (p *testPKI) issue(t testing.TB, notBefore, notAfter time.Time, ku x509.KeyUsage) *seal.FileSigner {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:   pkix.Name{CommonName: "Văn thư", Organization: []string{"Sở Nội vụ tỉnh Bắc Minh"}},
		NotBefore: notBefore, NotAfter: notAfter, KeyUsage: ku}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, p.ca, key.Public(), p.key)
	if err != nil {
		t.Fatal(err)
	}
	c, _ := x509.ParseCertificate(der)
	return &seal.FileSigner{Key: key, Cert: c}
}

func problems(r *Result) string {
	var b strings.Builder
	for _, p := range r.Problems {
		b.WriteString(p.String() + "\n")
	}
	return b.String()
}

// wantProblem asserts that r has exactly one problem, of check, naming the file.
func wantProblem(t *testing.T, r *Result, check, detail string) {
	t.Helper()
	if r.OK() || len(r.Problems) != 1 || r.Problems[0].Check != check || r.Problems[0].File != r.File ||
		!strings.Contains(r.Problems[0].Detail, detail) {
		t.Errorf("want one %s problem with %q, got:\n%s", check, detail, problems(r))
	}
}

// appendUpdate appends an incremental update to a signed file that writes
// the given objects (object number -> body).
func appendUpdate(t *testing.T, data []byte, objs map[int]string, newObjs []string) []byte {
	t.Helper()
	pctx, err := readPDF(data)
	if err != nil {
		t.Fatal(err)
	}
	prev, err := lastStartXRef(data)
	if err != nil {
		t.Fatal(err)
	}
	inc := newIncrement(int64(len(data)), data[len(data)-1] == '\n', *pctx.XRefTable.Size)
	for n, body := range objs {
		inc.object(n, body)
	}
	for _, body := range newObjs {
		inc.object(inc.alloc(), body)
	}
	tr := types.Dict{"Root": *pctx.XRefTable.Root, "ID": pctx.XRefTable.ID}
	if pctx.XRefTable.Info != nil {
		tr["Info"] = *pctx.XRefTable.Info
	}
	return append(append([]byte{}, data...), inc.finish(tr, prev)...)
}

func TestVerifyAndTamper(t *testing.T) {
	pki := newPKI(t, "CA tỉnh Bắc Minh")
	signer := pki.issue(t, time.Now().Add(-time.Hour), time.Now().AddDate(1, 0, 0), x509.KeyUsageDigitalSignature)
	in := testPDF(t)
	signed, err := Sign(context.Background(), in, signer, Options{Roots: pki.roots})
	if err != nil {
		t.Fatal(err)
	}
	ok := Verify("a.pdf", signed, VerifyOptions{Roots: pki.roots})
	if !ok.OK() {
		t.Fatalf("a freshly signed file does not verify:\n%s", problems(ok))
	}
	if ok.SignerName() != "Sở Nội vụ tỉnh Bắc Minh" || ok.SigningTime.IsZero() || !ok.Timestamp.IsZero() {
		t.Errorf("signer %q, signing time %v, timestamp %v", ok.SignerName(), ok.SigningTime, ok.Timestamp)
	}
	if got := Summary([]*Result{ok, ok}); got != "2/2 tệp có chữ ký hợp lệ của Sở Nội vụ tỉnh Bắc Minh" {
		t.Errorf("summary %q", got)
	}

	t.Run("unsigned", func(t *testing.T) {
		wantProblem(t, Verify("a.pdf", in, VerifyOptions{Roots: pki.roots}), CheckPresent, "no digital signature")
	})
	t.Run("other CA", func(t *testing.T) {
		wantProblem(t, Verify("a.pdf", signed, VerifyOptions{Roots: newPKI(t, "other").roots}), CheckCertificate, "not trusted by the given CA")
	})
	t.Run("no CA given", func(t *testing.T) {
		wantProblem(t, Verify("a.pdf", signed, VerifyOptions{}), CheckCertificate, "no CA certificate given")
	})
	t.Run("one byte changed in the signed range", func(t *testing.T) {
		bad := bytes.Clone(signed)
		i := bytes.Index(bad, []byte("/Title"))
		if i < 0 {
			t.Fatal("no /Title")
		}
		bad[i+8] ^= 0x01 // a letter of the title in the Info dictionary
		wantProblem(t, Verify("a.pdf", bad, VerifyOptions{Roots: pki.roots}), CheckDigest, "changed after signing")
	})
	t.Run("incremental update after signing", func(t *testing.T) {
		pctx, err := readPDF(signed)
		if err != nil {
			t.Fatal(err)
		}
		page, pageRef, _, err := pctx.PageDict(1, false)
		if err != nil {
			t.Fatal(err)
		}
		annot := *pctx.XRefTable.Size // the new annotation's number
		p := page.Clone().(types.Dict)
		p["Annots"] = append(p["Annots"].(types.Array), ref(annot))
		bad := appendUpdate(t, signed, map[int]string{pageRef.ObjectNumber.Value(): p.PDFString()},
			[]string{"<</Type/Annot/Subtype/Text/Rect[10 10 30 30]/Contents(added later)/F 4>>"})
		wantProblem(t, Verify("a.pdf", bad, VerifyOptions{Roots: pki.roots}), CheckByteRange, "appended after signing")
	})
	t.Run("signature field removed", func(t *testing.T) {
		pctx, err := readPDF(signed)
		if err != nil {
			t.Fatal(err)
		}
		cat, err := pctx.Catalog()
		if err != nil {
			t.Fatal(err)
		}
		c := cat.Clone().(types.Dict)
		delete(c, "AcroForm")
		page, pageRef, _, err := pctx.PageDict(1, false)
		if err != nil {
			t.Fatal(err)
		}
		p := page.Clone().(types.Dict)
		delete(p, "Annots")
		bad := appendUpdate(t, signed, map[int]string{pctx.XRefTable.Root.ObjectNumber.Value(): c.PDFString(),
			pageRef.ObjectNumber.Value(): p.PDFString()}, nil)
		wantProblem(t, Verify("a.pdf", bad, VerifyOptions{Roots: pki.roots}), CheckPresent, "signature field was removed")
	})
	t.Run("signing time outside validity", func(t *testing.T) {
		// Signed while valid, by a clock set inside the validity, then verified
		// with a certificate that had not started at the claimed time.
		late := pki.issue(t, time.Now().Add(-time.Hour), time.Now().AddDate(1, 0, 0), x509.KeyUsageDigitalSignature)
		early := time.Now().Add(-2 * time.Hour)
		_, err := Sign(context.Background(), in, late, Options{Roots: pki.roots, Now: func() time.Time { return early }})
		if !errors.Is(err, seal.ErrCertificate) {
			t.Errorf("signing at a time before the certificate's validity: %v", err)
		}
	})
}

func TestSignRefusals(t *testing.T) {
	pki := newPKI(t, "CA tỉnh Bắc Minh")
	in := testPDF(t)
	now := time.Now()
	for _, c := range []struct {
		name   string
		signer *seal.FileSigner
		roots  *x509.CertPool
		want   string
	}{
		// No CA here: the validity check alone must refuse it (the chain check would too).
		{"expired certificate", pki.issue(t, now.AddDate(-2, 0, 0), now.AddDate(0, 0, -1), x509.KeyUsageDigitalSignature), nil, "the certificate expired on"},
		{"certificate of another CA", pki.issue(t, now.Add(-time.Hour), now.AddDate(1, 0, 0), x509.KeyUsageDigitalSignature), newPKI(t, "other").roots, "does not chain to the configured CA"},
		{"no digitalSignature usage", pki.issue(t, now.Add(-time.Hour), now.AddDate(1, 0, 0), x509.KeyUsageKeyEncipherment), nil, "does not allow digital signatures"},
	} {
		t.Run(c.name, func(t *testing.T) {
			out, err := Sign(context.Background(), in, c.signer, Options{Roots: c.roots})
			if !errors.Is(err, seal.ErrCertificate) || !strings.Contains(err.Error(), c.want) || out != nil {
				t.Errorf("Sign: %v, want a refusal with %q", err, c.want)
			}
		})
	}
}

// TestTimestampLargerThanReserved: when a token does not fit the room kept
// for it, the signature is made again with room enough, and verifies.
func TestTimestampLargerThanReserved(t *testing.T) {
	pki := newPKI(t, "CA tỉnh Bắc Minh")
	signer := pki.issue(t, time.Now().Add(-time.Hour), time.Now().AddDate(1, 0, 0), x509.KeyUsageDigitalSignature)
	srv := tsatest.Start(t)
	tsa := &TSA{URL: srv.URL, last: 1} // as if the last token had been 1 byte long
	out, err := Sign(context.Background(), testPDF(t), signer, Options{TSA: tsa})
	if err != nil {
		t.Fatal(err)
	}
	if srv.Served() != 2 {
		t.Errorf("the TSA served %d timestamps, want 2 (the first did not fit)", srv.Served())
	}
	roots := pki.roots.Clone()
	roots.AddCert(srv.CA)
	if r := Verify("a.pdf", out, VerifyOptions{Roots: roots}); !r.OK() || r.Timestamp.IsZero() {
		t.Errorf("problems %v, timestamp %v", r.Problems, r.Timestamp)
	}
	if tsa.reserve() <= 1+256 {
		t.Errorf("reserve %d: the token's size was not learned", tsa.reserve())
	}
}
