package seal

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"time"
)

// Files written by WriteDevelopmentKeys.
const (
	DevCAFile   = "ca.pem"   // the development CA certificate: give it to verify --ca
	DevKeyFile  = "seal.key" // the signing key (PKCS#8 PEM, mode 0600)
	DevCertFile = "seal.pem" // the signing certificate issued by the development CA
)

// DevKeys are the paths of a development CA and signing key pair.
type DevKeys struct {
	CA, Key, Cert string
}

// WriteDevelopmentKeys makes, in dir, a throw-away CA certificate (ca.pem) and
// a signing key (seal.key) with its certificate (seal.pem) issued by that CA
// for organisation org. They are for development and demonstrations only: the
// CA's own key is discarded, and nothing about them is trusted by anyone
// else. Existing files are not overwritten.
func WriteDevelopmentKeys(dir, org string, now time.Time) (*DevKeys, error) {
	k := &DevKeys{CA: filepath.Join(dir, DevCAFile), Key: filepath.Join(dir, DevKeyFile), Cert: filepath.Join(dir, DevCertFile)}
	for _, f := range []string{k.CA, k.Key, k.Cert} {
		if _, err := os.Stat(f); err == nil {
			return nil, fmt.Errorf("keygen: %s already exists", f)
		} else if !errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("keygen: %w", err)
		}
	}
	if org == "" {
		org = "sohoa development"
	}
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("keygen: %w", err)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("keygen: %w", err)
	}
	ca, caDER, err := DevelopmentCA(org, caKey, now)
	if err != nil {
		return nil, fmt.Errorf("keygen: %w", err)
	}
	cert, err := DevelopmentCertificate(org, key.Public(), ca, caKey, now)
	if err != nil {
		return nil, fmt.Errorf("keygen: %w", err)
	}
	der := cert.Raw
	pkcs8, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("keygen: %w", err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("keygen: %w", err)
	}
	for _, w := range []struct {
		file, typ string
		der       []byte
		mode      os.FileMode
	}{
		{k.Key, "PRIVATE KEY", pkcs8, 0o600},
		{k.Cert, "CERTIFICATE", der, 0o644},
		{k.CA, "CERTIFICATE", caDER, 0o644},
	} {
		b := pem.EncodeToMemory(&pem.Block{Type: w.typ, Bytes: w.der})
		if err := os.WriteFile(w.file, b, w.mode); err != nil {
			return nil, fmt.Errorf("keygen: %w", err)
		}
	}
	return k, nil
}

// DevelopmentCA makes a throw-away CA certificate for organisation org with
// caKey, valid for ten years from an hour before now; it returns it parsed and
// DER-encoded.
func DevelopmentCA(org string, caKey crypto.Signer, now time.Time) (*x509.Certificate, []byte, error) {
	if org == "" {
		org = "sohoa development"
	}
	caTmpl := &x509.Certificate{
		SerialNumber:          serial(),
		Subject:               devName(org, "sohoa development CA"),
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.AddDate(10, 0, 0),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, caKey.Public(), caKey)
	if err != nil {
		return nil, nil, err
	}
	ca, err := x509.ParseCertificate(caDER)
	return ca, caDER, err
}

// DevelopmentCertificate issues, with the development CA ca and its key, a
// signing certificate for pub (digitalSignature and nonRepudiation, S/MIME
// signing), valid for five years from an hour before now, whose subject says
// it is for development only.
func DevelopmentCertificate(org string, pub crypto.PublicKey, ca *x509.Certificate, caKey crypto.Signer, now time.Time) (*x509.Certificate, error) {
	if org == "" {
		org = "sohoa development"
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial(),
		Subject:               devName(org, "package seal (development)"),
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.AddDate(5, 0, 0),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageEmailProtection}, // S/MIME signing, what openssl cms -verify checks by default
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, pub, caKey)
	if err != nil {
		return nil, err
	}
	return x509.ParseCertificate(der)
}

// devName is a certificate subject that says it is for development. X.509
// limits names to 64 characters.
func devName(org, cn string) pkix.Name {
	if r := []rune(org); len(r) > 64 {
		org = string(r[:64])
	}
	return pkix.Name{Organization: []string{org}, OrganizationalUnit: []string{"sohoa DEVELOPMENT ONLY - NOT FOR PRODUCTION"}, CommonName: cn}
}

func serial() *big.Int {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return big.NewInt(time.Now().UnixNano())
	}
	return n
}
