package seal

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"encoding/asn1"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/smallstep/pkcs7"
)

// Signer is the organisation's signing key with its X.509 certificate. One
// Signer signs both the PDFs (PAdES) and the package seal (CMS).
//
// The contract every implementation keeps (signertest.Run checks it):
//   - Certificate returns the signing certificate, whose public key is
//     Public(); Chain returns the intermediate CA certificates, if any, that
//     lead from it towards the trusted root, nearest first, without the
//     signing certificate itself.
//   - Sign(rand, digest, opts) signs a digest made with opts.HashFunc()
//     (at least crypto.SHA256) the way crypto.Signer does: PKCS #1 v1.5 for
//     RSA keys, ASN.1 DER (r, s) for ECDSA keys. The signature verifies with
//     the certificate's public key.
//   - Sign is safe for concurrent use. When the key cannot be reached (a
//     token removed, locked or logged out), Sign returns an error that says so
//     and wraps ErrKeyUnavailable; it never returns a signature made with
//     another key. Once the key can be reached again, later calls succeed
//     without the Signer being opened anew.
//   - Close releases the key's resources; the Signer is not used after it.
type Signer interface {
	crypto.Signer
	Certificate() *x509.Certificate
	Chain() []*x509.Certificate
	Close() error
}

// ErrKeyUnavailable is wrapped by a Signer's errors when its key cannot be
// reached for now: a token removed or locked. Retrying later may succeed.
var ErrKeyUnavailable = errors.New("signing key unavailable")

// FileSigner is a Signer whose key is read from a PEM file.
type FileSigner struct {
	Key           crypto.Signer
	Cert          *x509.Certificate
	Intermediates []*x509.Certificate
}

// Certificate returns the signing certificate.
func (s *FileSigner) Certificate() *x509.Certificate { return s.Cert }

// Chain returns the intermediate CA certificates given after the signing certificate.
func (s *FileSigner) Chain() []*x509.Certificate { return s.Intermediates }

// Public returns the key's public key.
func (s *FileSigner) Public() crypto.PublicKey { return s.Key.Public() }

// Sign signs digest with the key (see crypto.Signer).
func (s *FileSigner) Sign(rand io.Reader, digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	return s.Key.Sign(rand, digest, opts)
}

// Close does nothing: the key is in memory.
func (s *FileSigner) Close() error { return nil }

// LoadSigner reads a PEM private key (PKCS#8, or PKCS#1 RSA, or SEC 1 EC) from
// keyFile and PEM certificates from certFile: the signing certificate first,
// then any intermediates. The key must belong to the certificate.
func LoadSigner(keyFile, certFile string) (*FileSigner, error) {
	kb, err := os.ReadFile(keyFile)
	if err != nil {
		return nil, fmt.Errorf("signing key: %w", err)
	}
	key, err := parseKey(kb)
	if err != nil {
		return nil, fmt.Errorf("signing key %s: %w", keyFile, err)
	}
	cb, err := os.ReadFile(certFile)
	if err != nil {
		return nil, fmt.Errorf("signing certificate: %w", err)
	}
	certs, err := ParseCertificates(cb)
	if err != nil {
		return nil, fmt.Errorf("signing certificate %s: %w", certFile, err)
	}
	s := &FileSigner{Key: key, Cert: certs[0], Intermediates: certs[1:]}
	if !SamePublicKey(key.Public(), s.Cert.PublicKey) {
		return nil, fmt.Errorf("signing key %s does not belong to the certificate in %s (%s)", keyFile, certFile, s.Cert.Subject)
	}
	return s, nil
}

// ParseCertificates parses every PEM CERTIFICATE block of b, in order.
func ParseCertificates(b []byte) ([]*x509.Certificate, error) {
	var certs []*x509.Certificate
	for {
		var blk *pem.Block
		blk, b = pem.Decode(b)
		if blk == nil {
			break
		}
		if blk.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(blk.Bytes)
		if err != nil {
			return nil, err
		}
		certs = append(certs, c)
	}
	if len(certs) == 0 {
		return nil, errors.New("no PEM certificate found")
	}
	return certs, nil
}

func parseKey(b []byte) (crypto.Signer, error) {
	for {
		var blk *pem.Block
		blk, b = pem.Decode(b)
		if blk == nil {
			return nil, errors.New("no PEM private key found")
		}
		var k any
		var err error
		switch blk.Type {
		case "PRIVATE KEY":
			k, err = x509.ParsePKCS8PrivateKey(blk.Bytes)
		case "RSA PRIVATE KEY":
			k, err = x509.ParsePKCS1PrivateKey(blk.Bytes)
		case "EC PRIVATE KEY":
			k, err = x509.ParseECPrivateKey(blk.Bytes)
		case "ENCRYPTED PRIVATE KEY":
			return nil, errors.New("encrypted private keys are not supported; store the key unencrypted with restricted permissions or in an HSM")
		default:
			continue
		}
		if err != nil {
			return nil, err
		}
		switch k := k.(type) {
		case *rsa.PrivateKey, *ecdsa.PrivateKey:
			return k.(crypto.Signer), nil
		case ed25519.PrivateKey:
			return nil, errors.New("Ed25519 keys are not supported for CMS seals; use RSA or ECDSA")
		}
		return nil, fmt.Errorf("unsupported private key type %T", k)
	}
}

// SamePublicKey reports whether a and b are the same public key.
func SamePublicKey(a, b crypto.PublicKey) bool {
	ab, err1 := x509.MarshalPKIXPublicKey(a)
	bb, err2 := x509.MarshalPKIXPublicKey(b)
	return err1 == nil && err2 == nil && bytes.Equal(ab, bb)
}

// Stamper obtains RFC 3161 timestamps for signatures; pades.TSA is one.
type Stamper interface {
	// Stamp returns a timestamp token (a DER ContentInfo) over the SHA-256
	// of sig, or an error: never a signature without its timestamp.
	Stamp(ctx context.Context, sig []byte) ([]byte, error)
}

// CMSOptions are the optional parts of a CMS signature.
type CMSOptions struct {
	// Attributes are signed attributes added to the standard ones.
	Attributes []pkcs7.Attribute
	// Stamper, when set, timestamps the signature: the token is added as the
	// unsigned attribute id-aa-signatureTimeStampToken (RFC 3161 Appendix A).
	Stamper Stamper
	// SigningTime, when not zero, is the signing-time attribute, instead of
	// the wall clock smallstep/pkcs7 would write: with it and a deterministic
	// scheme (RSA PKCS #1 v1.5) the same content gives the same bytes.
	SigningTime time.Time
	// Digest, when set, is the SHA-256 of the content, which the caller
	// hashed itself (a large file, streamed) and which is then not passed:
	// the messageDigest attribute is Digest. The result is the same bytes as
	// with the content.
	Digest []byte
}

// SignCMS returns a detached CMS SignedData over content made with s,
// DER-encoded, with SHA-256, the signing time as a signed attribute, and the
// signing certificate and intermediates included.
func SignCMS(s Signer, content []byte) ([]byte, error) {
	return SignCMSWith(context.Background(), s, content, CMSOptions{})
}

// SignCMSWith is SignCMS with the extra signed attributes and the timestamp
// of o. A timestamp that cannot be had is an error (wrapping the Stamper's).
func SignCMSWith(ctx context.Context, s Signer, content []byte, o CMSOptions) ([]byte, error) {
	sd, err := pkcs7.NewSignedData(content)
	if err != nil {
		return nil, fmt.Errorf("cms: %w", err)
	}
	sd.SetDigestAlgorithm(pkcs7.OIDDigestAlgorithmSHA256)
	// smallstep/pkcs7 stamps the signing-time attribute with the wall clock
	// and signs at once: for a given signing time it gets a key that only
	// says which it is, and the attributes are signed below at that time.
	if o.Digest != nil && o.SigningTime.IsZero() {
		o.SigningTime = time.Now()
	}
	var key crypto.Signer = s
	if !o.SigningTime.IsZero() {
		key = publicOnly{s}
	}
	if err := sd.AddSignerChain(s.Certificate(), key, s.Chain(), pkcs7.SignerInfoConfig{ExtraSignedAttributes: o.Attributes}); err != nil {
		return nil, fmt.Errorf("cms: %w", err)
	}
	if !o.SigningTime.IsZero() {
		si := &sd.GetSignedData().SignerInfos[0]
		if err := signAttributesAt(s, &si.AuthenticatedAttributes, &si.EncryptedDigest, o.SigningTime, o.Digest); err != nil {
			return nil, fmt.Errorf("cms: %w", err)
		}
	}
	sd.Detach()
	if o.Stamper != nil {
		si := &sd.GetSignedData().SignerInfos[0]
		token, err := o.Stamper.Stamp(ctx, si.EncryptedDigest)
		if err != nil {
			return nil, fmt.Errorf("cms: timestamp: %w", err)
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
