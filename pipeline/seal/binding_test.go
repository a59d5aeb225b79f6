package seal_test

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"errors"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/smallstep/pkcs7"

	"github.com/sohoa-vn/sohoa/pipeline/bag"
	"github.com/sohoa-vn/sohoa/pipeline/pades"
	"github.com/sohoa-vn/sohoa/pipeline/pades/tsatest"
	"github.com/sohoa-vn/sohoa/pipeline/seal"
)

// nationalCA is one CA that certifies every agency, as a national CA does.
type nationalCA struct {
	cert  *x509.Certificate
	key   crypto.Signer
	roots *x509.CertPool
}

func newNationalCA(t *testing.T) *nationalCA {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "CA quốc gia (test)"},
		NotBefore: time.Date(2015, 1, 1, 0, 0, 0, 0, time.UTC), NotAfter: time.Now().AddDate(10, 0, 0),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	c, _ := x509.ParseCertificate(der)
	roots := x509.NewCertPool()
	roots.AddCert(c)
	return &nationalCA{cert: c, key: key, roots: roots}
}

var oidUID = asn1.ObjectIdentifier{0, 9, 2342, 19200300, 100, 1, 1}

// issue certifies a new key for the agency org (UID "MNS:"+id) with tmpl's
// validity and usages (defaults: valid now, digitalSignature and
// nonRepudiation, S/MIME).
func (ca *nationalCA) issue(t *testing.T, org, id string, tmpl x509.Certificate) *seal.FileSigner {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl.SerialNumber = big.NewInt(time.Now().UnixNano())
	tmpl.Subject = pkix.Name{CommonName: org, Organization: []string{org},
		ExtraNames: []pkix.AttributeTypeAndValue{{Type: oidUID, Value: "MNS:" + id}}}
	if tmpl.NotBefore.IsZero() {
		tmpl.NotBefore, tmpl.NotAfter = time.Now().Add(-time.Hour), time.Now().AddDate(2, 0, 0)
	}
	if tmpl.KeyUsage == 0 {
		tmpl.KeyUsage = x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageEmailProtection}
	}
	der, err := x509.CreateCertificate(rand.Reader, &tmpl, ca.cert, key.Public(), ca.key)
	if err != nil {
		t.Fatal(err)
	}
	c, _ := x509.ParseCertificate(der)
	return &seal.FileSigner{Key: key, Cert: c}
}

// sealedAs seals a copy of the fixture's unsealed package (organisation
// H49.64.33) as batch id with s.
func sealedAs(t *testing.T, f *fixture, id string, s seal.Signer) string {
	t.Helper()
	dir := unsealedCopy(t, f, id)
	if _, err := seal.Seal(context.Background(), dir, s, nil, nil); err != nil {
		t.Fatal(err)
	}
	return dir
}

func hasProblem(r *seal.Report, code seal.Code) bool {
	for _, p := range r.Problems {
		if p.Code == code && p.What != "" && p.Vi != "" {
			return true
		}
	}
	return false
}

// TestSignerBinding: one CA certifies every agency, so a chain to it says
// nothing of whose package it is. Packages of Sở Nội vụ (H49.64.33)
// re-signed by another agency's certificate from the
// same CA, by a TLS-server-only certificate and by the CA's own key all fail
// with the rule that failed (each seal is valid as a signature: the forger
// re-seals what he likes); the organisation's own certificate passes,
// under a pinned certificate and under a subject rule alike; without trust
// the verdict is "not checked", never a pass.
func TestSignerBinding(t *testing.T) {
	f := setup(t)
	ca := newNationalCA(t)
	const org = "Sở Nội vụ tỉnh Bắc Minh"
	own := ca.issue(t, org, testOrgID, x509.Certificate{})
	otherAgency := ca.issue(t, "Sở Tài chính tỉnh Bắc Minh", "H49.65", x509.Certificate{})
	tlsServer := ca.issue(t, org, testOrgID, x509.Certificate{KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, DNSNames: []string{"sonoivu.bacminh.gov.vn"}})
	caItself := &seal.FileSigner{Key: ca.key, Cert: ca.cert}

	// The trust as a subject rule, from a file.
	trustFile := filepath.Join(t.TempDir(), "trust.yaml")
	write(t, trustFile, "organisations:\n  - identifier: "+testOrgID+"\n    name: "+org+"\n    subject:\n      organization: "+org+"\n      uid: \"MNS:"+testOrgID+"\"\n")
	ruled, err := seal.LoadTrust(trustFile)
	if err != nil {
		t.Fatal(err)
	}
	// The trust as a pinned certificate, from a PEM file next to it.
	write(t, filepath.Join(filepath.Dir(trustFile), "own.pem"), string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: own.Cert.Raw})))
	pinFile := filepath.Join(filepath.Dir(trustFile), "pinned.yaml")
	write(t, pinFile, "organisations:\n  - identifier: "+testOrgID+"\n    certFiles: [own.pem]\n")
	pinned, err := seal.LoadTrust(pinFile)
	if err != nil {
		t.Fatal(err)
	}

	good := sealedAs(t, f, "own", own)
	cases := []struct {
		name string
		dir  string
		want []seal.Code // each must be among the problems
	}{
		{"another agency's certificate from the same CA", sealedAs(t, f, "other-agency", otherAgency), []seal.Code{seal.CodeSignerNotOrganisation}},
		{"a TLS-server-only certificate of the organisation's name", sealedAs(t, f, "tls", tlsServer), []seal.Code{seal.CodeSignerKeyUsage}},
		{"the CA's own key", sealedAs(t, f, "ca-key", caItself), []seal.Code{seal.CodeSignerIsCA, seal.CodeSignerNotOrganisation}},
	}
	for _, trust := range []struct {
		name string
		t    *seal.Trust
	}{{"subject rule", ruled}, {"pinned certificate", pinned}} {
		if r := verify(t, good, seal.VerifyOptions{Roots: ca.roots, Trust: trust.t}); r.Outcome() != seal.Passed {
			t.Errorf("%s: the organisation's own certificate: %v\n%s", trust.name, r.Outcome(), lines(r.Problems))
		}
		for _, c := range cases {
			r := verify(t, c.dir, seal.VerifyOptions{Roots: ca.roots, Trust: trust.t})
			if r.Outcome() != seal.Failed || r.Outcome().Vietnamese() != "Không đạt" {
				t.Errorf("%s: %s: %v, want Không đạt\n%s", trust.name, c.name, r.Outcome(), lines(r.Problems))
			}
			for _, code := range c.want {
				if !hasProblem(r, code) {
					t.Errorf("%s: %s: no %s problem (with English and Vietnamese) among\n%s", trust.name, c.name, code, lines(r.Problems))
				}
			}
		}
	}
	// The TLS certificate of the organisation's own name passes the subject
	// rule: it is refused for its usage alone, and says so.
	r := verify(t, cases[1].dir, seal.VerifyOptions{Roots: ca.roots, Trust: ruled})
	if len(r.Problems) != 1 || !strings.Contains(r.Problems[0].What, "serverAuth") || !strings.Contains(r.Problems[0].Vi, "không cho phép ký tài liệu") {
		t.Errorf("TLS certificate under the subject rule: want one key-usage problem naming serverAuth, got\n%s", lines(r.Problems))
	}
	// Another agency's package under the subject rule names the rule that failed.
	r = verify(t, cases[0].dir, seal.VerifyOptions{Roots: ca.roots, Trust: ruled})
	if len(r.Problems) != 1 || !strings.Contains(r.Problems[0].What, `organization (O) "Sở Tài chính tỉnh Bắc Minh", not "Sở Nội vụ tỉnh Bắc Minh"`) ||
		!strings.Contains(r.Problems[0].Vi, "không phải của tổ chức "+testOrgID) {
		t.Errorf("another agency under the subject rule: want one problem naming the organisation rule, got\n%s", lines(r.Problems))
	}

	// No trust: whose key signed cannot be bound, so "not checked", even for the right certificate.
	for _, dir := range []string{good, cases[0].dir} {
		r, err := seal.Verify(context.Background(), dir, seal.VerifyOptions{Roots: ca.roots})
		if err != nil {
			t.Fatal(err)
		}
		if r.Outcome() != seal.NotChecked || !hasProblem(r, seal.CodeSignerUnbound) || r.Outcome().Vietnamese() != "Chưa kết luận" {
			t.Errorf("%s without trust: %v, want Chưa kết luận (signer-unbound)\n%s", dir, r.Outcome(), lines(r.Problems))
		}
	}
	// A trust that does not name the package's organisation fails it.
	if r := verify(t, good, seal.VerifyOptions{Roots: ca.roots, Trust: seal.NewTrust("H49.65", otherAgency.Cert)}); r.Outcome() != seal.Failed ||
		!hasProblem(r, seal.CodeSignerNotOrganisation) {
		t.Errorf("organisation not in the trust: %v\n%s", r.Outcome(), lines(r.Problems))
	}
}

// TestLoadTrustRefuses: a trust file that could bind nobody, or anybody, is refused.
func TestLoadTrustRefuses(t *testing.T) {
	dir := t.TempDir()
	for name, body := range map[string]string{
		"no organisation":  "organisations: []\n",
		"no identifier":    "organisations:\n  - certificates: [" + strings.Repeat("ab", 32) + "]\n",
		"no rule":          "organisations:\n  - identifier: H49\n",
		"bad fingerprint":  "organisations:\n  - identifier: H49\n    certificates: [abcd]\n",
		"given twice":      "organisations:\n  - identifier: H49\n    subject: {organization: A}\n  - identifier: H49\n    subject: {organization: A}\n",
		"unknown key":      "organisations:\n  - identifier: H49\n    subjects: {organization: A}\n",
		"missing PEM file": "organisations:\n  - identifier: H49\n    certFiles: [nothere.pem]\n",
	} {
		file := filepath.Join(dir, strings.ReplaceAll(name, " ", "-")+".yaml")
		write(t, file, body)
		if _, err := seal.LoadTrust(file); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// cmsAt is a seal signature over content made with s whose signing time is
// at (the signer states what it likes), with the timestamp from tsa when not nil.
func cmsAt(t *testing.T, s seal.Signer, content []byte, at time.Time, tsa *pades.TSA) []byte {
	t.Helper()
	sd, err := pkcs7.NewSignedData(content)
	if err != nil {
		t.Fatal(err)
	}
	sd.SetDigestAlgorithm(pkcs7.OIDDigestAlgorithmSHA256)
	if err := sd.AddSignerChain(s.Certificate(), s, s.Chain(), pkcs7.SignerInfoConfig{}); err != nil {
		t.Fatal(err)
	}
	si := &sd.GetSignedData().SignerInfos[0]
	type attr struct {
		Type  asn1.ObjectIdentifier
		Value asn1.RawValue `asn1:"set"`
	}
	var attrs []attr
	for i, a := range si.AuthenticatedAttributes {
		if a.Type.Equal(pkcs7.OIDAttributeSigningTime) {
			v, err := asn1.Marshal(at.UTC())
			if err != nil {
				t.Fatal(err)
			}
			si.AuthenticatedAttributes[i].Value = asn1.RawValue{Class: a.Value.Class, Tag: a.Value.Tag, IsCompound: a.Value.IsCompound, Bytes: v}
		}
		attrs = append(attrs, attr{si.AuthenticatedAttributes[i].Type, si.AuthenticatedAttributes[i].Value})
	}
	enc, err := asn1.Marshal(struct {
		A []attr `asn1:"set"`
	}{attrs})
	if err != nil {
		t.Fatal(err)
	}
	var raw asn1.RawValue
	if _, err := asn1.Unmarshal(enc, &raw); err != nil {
		t.Fatal(err)
	}
	h := sha256.Sum256(raw.Bytes)
	if si.EncryptedDigest, err = s.Sign(rand.Reader, h[:], crypto.SHA256); err != nil {
		t.Fatal(err)
	}
	if tsa != nil {
		token, err := tsa.Stamp(context.Background(), si.EncryptedDigest)
		if err != nil {
			t.Fatal(err)
		}
		oid := asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 16, 2, 14}
		if err := si.SetUnauthenticatedAttributes([]pkcs7.Attribute{{Type: oid, Value: asn1.RawValue{FullBytes: token}}}); err != nil {
			t.Fatal(err)
		}
	}
	sd.Detach()
	der, err := sd.Finish()
	if err != nil {
		t.Fatal(err)
	}
	return der
}

// sealedAt seals a copy of the fixture's package as batch id with s, its
// signature stating signing time at (and stamped by tsa when not nil).
func sealedAt(t *testing.T, f *fixture, id string, s seal.Signer, at time.Time, tsa *pades.TSA) string {
	t.Helper()
	dir := sealedAs(t, f, id, s)
	if err := seal.MakeWritable(dir); err != nil {
		t.Fatal(err)
	}
	tm, err := os.ReadFile(filepath.Join(dir, bag.TagManifestFile))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, bag.SignatureFile), cmsAt(t, s, tm, at, tsa), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestSigningTime: the signing time the signer states is not trusted. A key
// whose certificate expired in 2021 seals today with a signing time
// back-dated to 2020: Không đạt (the certificate is judged at the trusted
// time, now; the time is before the bagging date). A signing time in the
// future: Không đạt. A seal stamped by a real TSA on loopback is judged at
// the timestamp's time: Đạt; back-dated before its timestamp: Không đạt. The
// verifier's clock is injected: the same good package judged after its
// certificate expired fails.
func TestSigningTime(t *testing.T) {
	f := setup(t)
	ca := newNationalCA(t)
	const org = "Sở Nội vụ tỉnh Bắc Minh"
	expired := ca.issue(t, org, testOrgID, x509.Certificate{NotBefore: time.Date(2019, 1, 1, 0, 0, 0, 0, time.UTC), NotAfter: time.Date(2021, 12, 31, 0, 0, 0, 0, time.UTC)})
	// Valid since yesterday, so that a signing time hours back lies within
	// its validity (which the CMS check holds it to) and only the rules on
	// the time can refuse it.
	own := ca.issue(t, org, testOrgID, x509.Certificate{NotBefore: time.Now().Add(-24 * time.Hour), NotAfter: time.Now().AddDate(2, 0, 0)})
	trust := seal.NewTrust(testOrgID, expired.Cert, own.Cert)
	tsa := tsatest.Start(t)
	roots := ca.roots.Clone()
	roots.AddCert(tsa.CA)
	now := time.Now()

	check := func(name, dir string, opts seal.VerifyOptions, want seal.Outcome, codes ...seal.Code) *seal.Report {
		t.Helper()
		opts.Roots, opts.Trust = roots, trust
		r := verify(t, dir, opts)
		if r.Outcome() != want {
			t.Errorf("%s: %v, want %v\n%s", name, r.Outcome(), want, lines(r.Problems))
		}
		for _, c := range codes {
			if !hasProblem(r, c) {
				t.Errorf("%s: no %s problem among\n%s", name, c, lines(r.Problems))
			}
		}
		return r
	}
	backdated := sealedAt(t, f, "expired-2021", expired, time.Date(2020, 6, 1, 9, 0, 0, 0, time.UTC), nil)
	r := check("expired in 2021, back-dated to 2020", backdated, seal.VerifyOptions{}, seal.Failed, seal.CodeCertificateExpired, seal.CodeSigningTime)
	if !strings.Contains(lines(r.Problems), "before the bagging date") {
		t.Errorf("back-dated: the bagging date is not named\n%s", lines(r.Problems))
	}
	// openssl agrees (it checks the certificate at the current time).
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	write(t, caFile, string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ca.cert.Raw})))
	if out, err := opensslVerify(t, backdated, caFile); err == nil {
		t.Errorf("openssl cms -verify accepts the back-dated seal:\n%s", out)
	}

	check("signing time in the future", sealedAt(t, f, "future", own, now.Add(2*time.Hour), nil), seal.VerifyOptions{}, seal.Failed, seal.CodeSigningTime)
	good := sealedAt(t, f, "stamped", own, now, &pades.TSA{URL: tsa.URL})
	r = check("stamped by the TSA", good, seal.VerifyOptions{}, seal.Passed)
	if r.Stamped.IsZero() || r.Stamped.Sub(now).Abs() > time.Minute {
		t.Errorf("stamped: timestamp %v, want about %v", r.Stamped, now)
	}
	check("back-dated an hour and more before its timestamp", sealedAt(t, f, "stamped-backdated", own, now.Add(-3*time.Hour), &pades.TSA{URL: tsa.URL}),
		seal.VerifyOptions{}, seal.Failed, seal.CodeSigningTime)
	plain := sealedAs(t, f, "plain", own)
	check("unstamped, judged now", plain, seal.VerifyOptions{}, seal.Passed)
	check("unstamped, judged after the certificate expired", plain, seal.VerifyOptions{Now: func() time.Time { return now.AddDate(3, 0, 0) }},
		seal.Failed, seal.CodeCertificateExpired)
	check("stamped, judged after the certificate expired: the timestamp's time counts", good,
		seal.VerifyOptions{Now: func() time.Time { return now.AddDate(3, 0, 0) }}, seal.Passed)

	// Sealed as the product seals (the chain of a process output folder) with
	// the TSA: stamped, so it verifies after the certificate expired too.
	chain, err := seal.FolderChain(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	chain.Stamper = &pades.TSA{URL: tsa.URL}
	served := tsa.Served()
	product := unsealedCopy(t, f, "product-stamped")
	if _, err := chain.Seal(context.Background(), product, own); err != nil {
		t.Fatal(err)
	}
	if tsa.Served() != served+1 {
		t.Errorf("the TSA issued %d timestamps for one seal", tsa.Served()-served)
	}
	r = check("sealed with the TSA", product, seal.VerifyOptions{}, seal.Passed)
	if r.Stamped.IsZero() || r.Stamped.Sub(now).Abs() > time.Minute {
		t.Errorf("sealed with the TSA: timestamp %v, want about %v", r.Stamped, now)
	}
	check("sealed with the TSA, judged after the certificate expired", product,
		seal.VerifyOptions{Now: func() time.Time { return now.AddDate(3, 0, 0) }}, seal.Passed)
	// The TSA is down: no seal without its timestamp.
	tsa.Stop()
	chain.Stamper = &pades.TSA{URL: tsa.URL, Retries: 1, Backoff: func(int) time.Duration { return 0 }}
	down := unsealedCopy(t, f, "product-tsa-down")
	if _, err := chain.Seal(context.Background(), down, own); err == nil || !errors.Is(err, pades.ErrTSA) {
		t.Errorf("sealed with the TSA down: %v, want an error wrapping pades.ErrTSA", err)
	}
	if _, err := os.Stat(filepath.Join(down, bag.SignatureFile)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("sealed with the TSA down: the signature file is there (%v)", err)
	}
}
