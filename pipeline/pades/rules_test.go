package pades

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sohoa-vn/sohoa/pipeline/pades/tsatest"
	"github.com/sohoa-vn/sohoa/pipeline/seal"
)

// issueAs certifies a new key from p with the template's subject, validity and usages.
func (p *testPKI) issueAs(t *testing.T, tmpl x509.Certificate) *seal.FileSigner {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl.SerialNumber = big.NewInt(time.Now().UnixNano())
	der, err := x509.CreateCertificate(rand.Reader, &tmpl, p.ca, key.Public(), p.key)
	if err != nil {
		t.Fatal(err)
	}
	c, _ := x509.ParseCertificate(der)
	return &seal.FileSigner{Key: key, Cert: c}
}

// TestPDFSignerRules holds the signer and signing-time rules for every PDF
// of a package, through the package's check (DirCheck, the organisation
// from the report): PDFs re-signed by another agency's certificate from the
// same CA, a TLS-server-only certificate and the CA's own key, a certificate
// that expired in 2021 back-dating to 2020, a signing time in the future and
// one back-dated before its timestamp each fail with the code of the rule;
// the organisation's certificate, with and without a real TSA's timestamp,
// passes.
func TestPDFSignerRules(t *testing.T) {
	pki := newPKI(t, "CA quốc gia (test)")
	now := time.Now()
	const org, orgID = "Sở Nội vụ tỉnh Bắc Minh", "H49.64.33"
	subject := func(o string) pkix.Name { return pkix.Name{CommonName: "Văn thư", Organization: []string{o}} }
	valid := x509.Certificate{Subject: subject(org), NotBefore: now.Add(-5 * time.Hour), NotAfter: now.AddDate(1, 0, 0),
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment}
	own := pki.issueAs(t, valid)
	other := valid
	other.Subject = subject("Sở Tài chính tỉnh Bắc Minh")
	tls := valid
	tls.KeyUsage, tls.ExtKeyUsage, tls.DNSNames = x509.KeyUsageDigitalSignature|x509.KeyUsageKeyEncipherment, []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, []string{"sonoivu.example.vn"}
	expired := valid
	expired.NotBefore, expired.NotAfter = time.Date(2019, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2021, 12, 31, 0, 0, 0, 0, time.UTC)
	expiredSigner := pki.issueAs(t, expired)
	tsa := tsatest.Start(t)
	roots := pki.roots.Clone()
	roots.AddCert(tsa.CA)
	trust := seal.NewTrust(orgID, own.Cert, expiredSigner.Cert)

	in := testPDF(t)
	at := func(t0 time.Time) func() time.Time { return func() time.Time { return t0 } }
	cases := []struct {
		file   string
		signer seal.Signer
		opts   Options
		want   []seal.Code // nil: no problem
	}{
		{"own.pdf", own, Options{}, nil},
		{"own-stamped.pdf", own, Options{TSA: &TSA{URL: tsa.URL}}, nil},
		{"other-agency.pdf", pki.issueAs(t, other), Options{}, []seal.Code{seal.CodeSignerNotOrganisation}},
		{"tls-server.pdf", pki.issueAs(t, tls), Options{}, []seal.Code{seal.CodeSignerKeyUsage, seal.CodeSignerNotOrganisation}},
		{"ca-key.pdf", &seal.FileSigner{Key: pki.key, Cert: pki.ca}, Options{}, []seal.Code{seal.CodeSignerIsCA, seal.CodeSignerNotOrganisation}},
		{"expired-backdated.pdf", expiredSigner, Options{Now: at(time.Date(2020, 6, 1, 9, 0, 0, 0, time.UTC))}, []seal.Code{seal.CodeCertificateExpired}},
		{"future.pdf", own, Options{Now: at(now.Add(2 * time.Hour))}, []seal.Code{seal.CodeSigningTime}},
		{"stamped-backdated.pdf", own, Options{Now: at(now.Add(-3 * time.Hour)), TSA: &TSA{URL: tsa.URL}}, []seal.Code{seal.CodeSigningTime}},
	}
	dir := t.TempDir()
	for _, c := range cases {
		// The forger's tool signs whatever it is given: no certificate check before.
		out, err := signBytes(context.Background(), in, c.signer, c.opts, c.opts.nowOr(now))
		if err != nil {
			t.Fatalf("%s: %v", c.file, err)
		}
		if err := os.WriteFile(filepath.Join(dir, c.file), out, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	dc := &DirCheck{Options: VerifyOptions{Roots: roots, Trust: trust}}
	r := &seal.Report{OrgID: orgID}
	if err := dc.Check(context.Background(), dir, r); err != nil {
		t.Fatal(err)
	}
	got := map[string]map[seal.Code]bool{}
	for _, p := range r.Problems {
		if got[p.Path] == nil {
			got[p.Path] = map[seal.Code]bool{}
		}
		got[p.Path][p.Code] = true
		if p.What == "" || p.Vi == "" || !strings.Contains(p.Vi, " / ") {
			t.Errorf("%s: problem without both languages: %+v", p.Path, p)
		}
	}
	for _, c := range cases {
		if c.want == nil && len(got[c.file]) != 0 {
			t.Errorf("%s: want Đạt, got %v", c.file, got[c.file])
		}
		if c.want != nil && len(got[c.file]) == 0 {
			t.Errorf("%s: want Không đạt, nothing found", c.file)
		}
		for _, code := range c.want {
			if !got[c.file][code] {
				t.Errorf("%s: no %s problem; got %v", c.file, code, got[c.file])
			}
		}
	}
	if n := len(got); n != len(cases)-2 {
		t.Errorf("%d files with problems, want %d: %v", n, len(cases)-2, got)
	}
	for _, res := range dc.Results {
		if res.File == "own-stamped.pdf" && (res.Timestamp.IsZero() || !res.OK()) {
			t.Errorf("stamped: timestamp %v, problems %v", res.Timestamp, res.Problems)
		}
	}
	if o := r.Outcome(); o != seal.Failed {
		t.Errorf("outcome %v, want Failed", o)
	}

	// Judged by a clock after the certificate's end, an unstamped signature
	// fails and a stamped one holds (its timestamp is the trusted time).
	later := VerifyOptions{Roots: roots, Trust: trust, OrgID: orgID, Now: at(now.AddDate(2, 0, 0))}
	for _, c := range []struct {
		file string
		ok   bool
	}{{"own.pdf", false}, {"own-stamped.pdf", true}} {
		data, err := os.ReadFile(filepath.Join(dir, c.file))
		if err != nil {
			t.Fatal(err)
		}
		if res := Verify(c.file, data, later); res.OK() != c.ok {
			t.Errorf("%s judged in two years: OK %v, want %v: %v", c.file, res.OK(), c.ok, res.Problems)
		}
	}
}

// nowOr returns the options' clock reading, or def without a clock.
func (o Options) nowOr(def time.Time) time.Time {
	if o.Now != nil {
		return o.Now()
	}
	return def
}
