package pades

import (
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/asn1"
	"time"

	"github.com/smallstep/pkcs7"

	"github.com/sohoa-vn/sohoa/pipeline/seal"
)

// CMS attribute object identifiers.
var (
	oidSigningCertificateV2 = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 16, 2, 47}
	oidTimeStampToken       = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 16, 2, 14}
)

// essCertIDv2 with the default hash algorithm (SHA-256) left out (RFC 5035).
type essCertIDv2 struct {
	CertHash []byte
}

type signingCertificateV2 struct {
	Certs []essCertIDv2
}

// signCMS makes the detached CMS SignedData over the content whose SHA-256
// is digest: SHA-256, the
// signing certificate and chain, signing-certificate-v2, the signing-time
// attribute at now (the time /M states), and the signature timestamp from
// tsa when not nil. With an RSA key (PKCS #1 v1.5 is deterministic) and no
// TSA the same digest, key and time give the same bytes; ECDSA draws a
// random number per signature, and a TSA stamps its own time.
func signCMS(ctx context.Context, k seal.Signer, digest []byte, tsa *TSA, now time.Time) ([]byte, error) {
	h := sha256.Sum256(k.Certificate().Raw)
	o := seal.CMSOptions{Attributes: []pkcs7.Attribute{
		{Type: oidSigningCertificateV2, Value: signingCertificateV2{Certs: []essCertIDv2{{CertHash: h[:]}}}},
	}, SigningTime: now, Digest: digest}
	if tsa != nil {
		o.Stamper = tsa
	}
	return seal.SignCMSWith(ctx, k, nil, o)
}

// certHashOK reports whether the signing-certificate-v2 hash names cert.
func certHashOK(v []byte, cert *x509.Certificate) bool {
	var sc signingCertificateV2
	if _, err := asn1.Unmarshal(v, &sc); err != nil || len(sc.Certs) == 0 {
		return false
	}
	h := sha256.Sum256(cert.Raw)
	return string(sc.Certs[0].CertHash) == string(h[:])
}
