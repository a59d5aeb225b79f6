package seal

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"

	"github.com/smallstep/pkcs7"
)

// Signer is the organisation's signing key with its X.509 certificate and
// the intermediate CA certificates, if any, that lead to the trusted root.
type Signer struct {
	Key           crypto.Signer
	Certificate   *x509.Certificate
	Intermediates []*x509.Certificate
}

// LoadSigner reads a PEM private key (PKCS#8, or PKCS#1 RSA, or SEC 1 EC) from
// keyFile and PEM certificates from certFile: the signing certificate first,
// then any intermediates. The key must belong to the certificate.
func LoadSigner(keyFile, certFile string) (*Signer, error) {
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
	s := &Signer{Key: key, Certificate: certs[0], Intermediates: certs[1:]}
	if !samePublicKey(key.Public(), s.Certificate.PublicKey) {
		return nil, fmt.Errorf("signing key %s does not belong to the certificate in %s (%s)", keyFile, certFile, s.Certificate.Subject)
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

func samePublicKey(a, b crypto.PublicKey) bool {
	ab, err1 := x509.MarshalPKIXPublicKey(a)
	bb, err2 := x509.MarshalPKIXPublicKey(b)
	return err1 == nil && err2 == nil && bytes.Equal(ab, bb)
}

// Sign returns a detached CMS SignedData over content, DER-encoded, with
// SHA-256, the signing time as a signed attribute, and the signing
// certificate and intermediates included.
func (s *Signer) Sign(content []byte) ([]byte, error) {
	sd, err := pkcs7.NewSignedData(content)
	if err != nil {
		return nil, fmt.Errorf("cms: %w", err)
	}
	sd.SetDigestAlgorithm(pkcs7.OIDDigestAlgorithmSHA256)
	if err := sd.AddSignerChain(s.Certificate, s.Key, s.Intermediates, pkcs7.SignerInfoConfig{}); err != nil {
		return nil, fmt.Errorf("cms: %w", err)
	}
	sd.Detach()
	der, err := sd.Finish()
	if err != nil {
		return nil, fmt.Errorf("cms: %w", err)
	}
	return der, nil
}
