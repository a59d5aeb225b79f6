package seal

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/sha256"
	"encoding/asn1"
	"fmt"
	"io"
	"sort"
	"time"

	"github.com/smallstep/pkcs7"
)

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
// *attrs to now (and the messageDigest attribute to digest when not nil), sorts them as DER orders a SET OF, and signs their DER
// encoding with k (SHA-256) into *sig.
func signAttributesAt[A interface {
	~struct {
		Type  asn1.ObjectIdentifier
		Value asn1.RawValue `asn1:"set"`
	}
}](k crypto.Signer, attrs *[]A, sig *[]byte, now time.Time, digest []byte) error {
	t, err := asn1.Marshal(now.UTC())
	if err != nil {
		return err
	}
	md, err := asn1.Marshal(digest)
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
		if digest != nil && list[i].Type.Equal(pkcs7.OIDAttributeMessageDigest) {
			list[i].Value = asn1.RawValue{Tag: asn1.TagSet, IsCompound: true, Bytes: md}
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
