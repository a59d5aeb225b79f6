package pades_test

import (
	"bytes"
	"context"
	"encoding/asn1"
	"encoding/hex"
	"testing"
	"time"

	"github.com/smallstep/pkcs7"

	"github.com/sohoa-vn/sohoa/pipeline/pades"
	"github.com/sohoa-vn/sohoa/pipeline/pdfa"
	"github.com/sohoa-vn/sohoa/pipeline/seal/signertest"
)

// TestSignDeterministic: with an RSA key (PKCS #1 v1.5) and an injected
// clock, signing the same PDF twice gives the same bytes, and the CMS
// signing-time attribute is the clock's time, as /M is (not the wall
// clock's). With ECDSA (the development key) the signatures differ: ECDSA
// draws a random number for each one.
func TestSignDeterministic(t *testing.T) {
	at := time.Date(2026, 3, 8, 14, 5, 9, 0, pades.Vietnam)
	clock := func() time.Time { return at }
	in := makePDF(t, pdfa.PDFA2B, 1)
	ctx := context.Background()
	rsaKey, roots := signertest.RSA(t, "Sở Nội vụ tỉnh Bắc Minh", at)
	opts := pades.Options{Roots: roots, Now: clock}
	a, err := pades.Sign(ctx, in, rsaKey, opts)
	if err != nil {
		t.Fatal(err)
	}
	b, err := pades.Sign(ctx, in, rsaKey, opts)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a, b) {
		t.Error("two RSA signatures of the same PDF at the same time differ")
	}
	res := pades.Verify("a.pdf", a, pades.VerifyOptions{Roots: roots, Now: clock})
	for _, p := range res.Problems {
		t.Errorf("verify: %s: %s", p.Check, p.Detail)
	}
	if !res.SigningTime.Equal(at) {
		t.Errorf("/M is %v, want %v", res.SigningTime, at)
	}
	p7 := parseCMS(t, a)
	var st time.Time
	if err := p7.UnmarshalSignedAttribute(pkcs7.OIDAttributeSigningTime, &st); err != nil || !st.Equal(at) {
		t.Errorf("CMS signing-time %v (%v), want %v", st, err, at)
	}

	ec, _ := devSigner(t) // certified from an hour ago
	now := time.Now()
	ecOpts := pades.Options{Now: func() time.Time { return now }}
	c, err := pades.Sign(ctx, in, ec, ecOpts)
	if err != nil {
		t.Fatal(err)
	}
	d, err := pades.Sign(ctx, in, ec, ecOpts)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(c, d) {
		t.Error("two ECDSA signatures are the same: ECDSA signatures are randomised")
	}
}

// parseCMS returns the CMS signature in the /Contents of the signed PDF pdf.
func parseCMS(t *testing.T, pdf []byte) *pkcs7.PKCS7 {
	t.Helper()
	i := bytes.LastIndex(pdf, []byte("/Contents <"))
	if i < 0 {
		t.Fatal("no /Contents")
	}
	h := pdf[i+len("/Contents <"):]
	h = h[:bytes.IndexByte(h, '>')]
	der := make([]byte, hex.DecodedLen(len(h)))
	if _, err := hex.Decode(der, h); err != nil {
		t.Fatal(err)
	}
	var raw asn1.RawValue
	if _, err := asn1.Unmarshal(der, &raw); err != nil {
		t.Fatal(err)
	}
	p7, err := pkcs7.Parse(raw.FullBytes)
	if err != nil {
		t.Fatal(err)
	}
	return p7
}
