package seal

import (
	"crypto/x509"
	"errors"
	"fmt"
	"time"
)

// ErrCertificate is wrapped by ValidateCertificate's refusals.
var ErrCertificate = errors.New("signing certificate refused")

// ValidateCertificate checks, before anything is signed with s, that its
// certificate is valid at now, is fit to sign documents (CheckSignerProfile:
// not a CA, key usage digitalSignature or nonRepudiation, no extended key
// usage that is not for documents) and, when roots is not nil, chains to
// one of roots through s.Chain(). A refusal says why, in Vietnamese then in
// English, and wraps ErrCertificate.
func ValidateCertificate(s Signer, roots *x509.CertPool, now time.Time) error {
	c := s.Certificate()
	if c == nil {
		return fmt.Errorf("%w: no certificate", ErrCertificate)
	}
	who := c.Subject.String()
	if now.Before(c.NotBefore) {
		return fmt.Errorf("%w: chứng thư số %s chưa có hiệu lực (từ %s) / the certificate is not valid until %s",
			ErrCertificate, who, c.NotBefore.UTC().Format(time.RFC3339), c.NotBefore.UTC().Format(time.RFC3339))
	}
	if now.After(c.NotAfter) {
		return fmt.Errorf("%w: chứng thư số %s đã hết hạn (%s) / the certificate expired on %s",
			ErrCertificate, who, c.NotAfter.UTC().Format(time.RFC3339), c.NotAfter.UTC().Format(time.RFC3339))
	}
	if probs := CheckSignerProfile(c); len(probs) > 0 {
		return fmt.Errorf("%w: %s / %s", ErrCertificate, probs[0].Vi, probs[0].What)
	}
	if roots != nil {
		inter := x509.NewCertPool()
		for _, ic := range s.Chain() {
			inter.AddCert(ic)
		}
		if _, err := c.Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter, CurrentTime: now,
			KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}}); err != nil {
			return fmt.Errorf("%w: chứng thư số %s không do CA đã cấu hình cấp / the certificate does not chain to the configured CA: %v",
				ErrCertificate, who, err)
		}
	}
	return nil
}
