package pades

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/asn1"
	"fmt"
	"io"
	"sort"
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

// signCMS makes the detached CMS SignedData over content: SHA-256, the
// signing certificate and chain, signing-certificate-v2, the signing-time
// attribute at now (the time /M states), and the signature timestamp from
// tsa when not nil. With an RSA key (PKCS #1 v1.5 is deterministic) and no
// TSA the same content, key and time give the same bytes; ECDSA draws a
// random number per signature, and a TSA stamps its own time.
func signCMS(ctx context.Context, k seal.Signer, content []byte, tsa *TSA, now time.Time) ([]byte, error) {
	sd, err := pkcs7.NewSignedData(content)
	if err != nil {
		return nil, fmt.Errorf("cms: %w", err)
	}
	sd.SetDigestAlgorithm(pkcs7.OIDDigestAlgorithmSHA256)
	h := sha256.Sum256(k.Certificate().Raw)
	cfg := pkcs7.SignerInfoConfig{ExtraSignedAttributes: []pkcs7.Attribute{
		{Type: oidSigningCertificateV2, Value: signingCertificateV2{Certs: []essCertIDv2{{CertHash: h[:]}}}},
	}}
	// smallstep/pkcs7 stamps the signing-time attribute with the wall clock
	// and signs at once: it gets a key that only says which it is, and the
	// attributes are signed below with the signing time set to now.
	if err := sd.AddSignerChain(k.Certificate(), publicOnly{k}, k.Chain(), cfg); err != nil {
		return nil, fmt.Errorf("cms: %w", err)
	}
	si := &sd.GetSignedData().SignerInfos[0]
	if err := signAttributesAt(k, &si.AuthenticatedAttributes, &si.EncryptedDigest, now); err != nil {
		return nil, fmt.Errorf("cms: %w", err)
	}
	sd.Detach()
	if tsa != nil {
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

// publicOnly is a key for pkcs7.AddSignerChain that names the algorithm of k
// but makes no signature: signAttributesAt signs.
type publicOnly struct{ k crypto.Signer }

func (p publicOnly) Public() crypto.PublicKey { return p.k.Public() }

func (publicOnly) Sign(io.Reader, []byte, crypto.SignerOpts) ([]byte, error) { return nil, nil }

// cmsAttribute is a CMS Attribute (RFC 5652 §5.3) as smallstep/pkcs7 holds it.
type cmsAttribute struct {
	Type  asn1.ObjectIdentifier
	Value asn1.RawValue `asn1:"set"`
}

// signAttributesAt sets the signing-time attribute of the signed attributes
// *attrs to now, sorts them as DER orders a SET OF, and signs their DER
// encoding with k (SHA-256) into *sig.
func signAttributesAt[A interface {
	~struct {
		Type  asn1.ObjectIdentifier
		Value asn1.RawValue `asn1:"set"`
	}
}](k crypto.Signer, attrs *[]A, sig *[]byte, now time.Time) error {
	t, err := asn1.Marshal(now.UTC())
	if err != nil {
		return err
	}
	list := make([]cmsAttribute, len(*attrs))
	enc := make([][]byte, len(*attrs))
	found := false
	for i, a := range *attrs {
		list[i] = cmsAttribute(a)
		if list[i].Type.Equal(pkcs7.OIDAttributeSigningTime) {
			list[i].Value = asn1.RawValue{Tag: asn1.TagSet, IsCompound: true, Bytes: t}
			found = true
		}
		if enc[i], err = asn1.Marshal(list[i]); err != nil {
			return err
		}
	}
	if !found {
		return fmt.Errorf("no signing-time attribute to set")
	}
	idx := make([]int, len(list))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(i, j int) bool { return bytes.Compare(enc[idx[i]], enc[idx[j]]) < 0 })
	sorted := make([]cmsAttribute, len(list))
	for i, j := range idx {
		sorted[i] = list[j]
		(*attrs)[i] = A(list[j])
	}
	der, err := asn1.Marshal(struct {
		A []cmsAttribute `asn1:"set"`
	}{sorted})
	if err != nil {
		return err
	}
	var seq asn1.RawValue // the SET OF inside the SEQUENCE is what is signed
	if _, err := asn1.Unmarshal(der, &seq); err != nil {
		return err
	}
	h := sha256.Sum256(seq.Bytes)
	*sig, err = k.Sign(rand.Reader, h[:], crypto.SHA256)
	return err
}
