package pades

import (
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/asn1"
	"fmt"

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

// signCMS makes the detached CMS SignedData over content: SHA-256, the
// signing certificate and chain, signing-certificate-v2, and the signature
// timestamp from tsa when not nil.
func signCMS(ctx context.Context, k seal.Signer, content []byte, tsa *TSA) ([]byte, error) {
	sd, err := pkcs7.NewSignedData(content)
	if err != nil {
		return nil, fmt.Errorf("cms: %w", err)
	}
	sd.SetDigestAlgorithm(pkcs7.OIDDigestAlgorithmSHA256)
	h := sha256.Sum256(k.Certificate().Raw)
	cfg := pkcs7.SignerInfoConfig{ExtraSignedAttributes: []pkcs7.Attribute{
		{Type: oidSigningCertificateV2, Value: signingCertificateV2{Certs: []essCertIDv2{{CertHash: h[:]}}}},
	}}
	if err := sd.AddSignerChain(k.Certificate(), k, k.Chain(), cfg); err != nil {
		return nil, fmt.Errorf("cms: %w", err)
	}
	sd.Detach()
	if tsa != nil {
		si := &sd.GetSignedData().SignerInfos[0]
		token, err := tsa.Stamp(ctx, si.EncryptedDigest)
		if err != nil {
			return nil, err
		}
		if err := si.SetUnauthenticatedAttributes([]pkcs7.Attribute{{Type: oidTimeStampToken, Value: asn1.RawValue{FullBytes: token}}}); err != nil {
			return nil, fmt.Errorf("cms: timestamp: %w", err)
		}
	}
	der, err := sd.Finish()
	if err != nil {
		return nil, fmt.Errorf("cms: %w", err)
	}
	return der, nil
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
