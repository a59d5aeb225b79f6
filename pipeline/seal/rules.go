package seal

import (
	"bytes"
	"crypto/sha256"
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/digitorus/timestamp"
)

// Checks of the signer's certificate and of the signing time, the
// Problem.Check values beside those of verify.go.
const (
	CheckSigner = "signer"       // the certificate is fit to sign and is the organisation's
	CheckTime   = "signing-time" // the signing time and the certificate's validity at a trusted time
)

// Rules on the signing time.
const (
	// ClockSkew is how far a signing time may lie after the trusted time
	// (the timestamp, or the verifier's clock) before it is "in the future".
	ClockSkew = 5 * time.Minute
	// StampLag is how far a signing time may lie before its RFC 3161
	// timestamp: a signature is stamped as it is made, so an older signing
	// time was back-dated.
	StampLag = time.Hour
)

// Extended key usages that allow signing documents, besides "any".
var (
	oidDocumentSigning   = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 3, 36}         // id-kp-documentSigning, RFC 9336
	oidAdobeAuthenticDoc = asn1.ObjectIdentifier{1, 2, 840, 113583, 1, 1, 5}         // Adobe Authentic Documents Trust
	oidMSDocumentSigning = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 311, 10, 3, 12}   // Microsoft document signing
	oidTimeStampToken    = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 16, 2, 14} // id-aa-signatureTimeStampToken
)

// CheckSignerProfile returns every rule the signing certificate c breaks for
// signing documents: it must not be a CA certificate (BasicConstraints
// CA:TRUE, or key usage keyCertSign), its key usage must include
// digitalSignature or nonRepudiation, and an extended key usage, when
// present, must allow signing documents (any, emailProtection,
// documentSigning, Adobe or Microsoft document signing): a TLS server or
// client certificate does not. Each problem (Check CheckSigner) says which
// rule failed, in Vietnamese and English.
func CheckSignerProfile(c *x509.Certificate) []Problem {
	var out []Problem
	who := c.Subject.String()
	if (c.BasicConstraintsValid && c.IsCA) || c.KeyUsage&x509.KeyUsageCertSign != 0 {
		out = append(out, Problem{Check: CheckSigner, Code: CodeSignerIsCA,
			What: fmt.Sprintf("the signer %q holds a CA certificate (BasicConstraints CA:TRUE or keyCertSign): a CA's key issues certificates, it does not sign records", who),
			Vi:   fmt.Sprintf("chứng thư số của người ký %s là chứng thư CA (BasicConstraints CA:TRUE hoặc keyCertSign): khóa của CA không được dùng để ký tài liệu", who)})
	}
	if c.KeyUsage&(x509.KeyUsageDigitalSignature|x509.KeyUsageContentCommitment) == 0 {
		out = append(out, Problem{Check: CheckSigner, Code: CodeSignerKeyUsage,
			What: fmt.Sprintf("the signer %q's key usage does not allow digital signatures (neither digitalSignature nor nonRepudiation)", who),
			Vi:   fmt.Sprintf("chứng thư số của người ký %s không cho phép ký số (mục đích sử dụng khóa thiếu digitalSignature và nonRepudiation)", who)})
	}
	if len(c.ExtKeyUsage)+len(c.UnknownExtKeyUsage) > 0 && !signingEKU(c) {
		names := ekuNames(c)
		out = append(out, Problem{Check: CheckSigner, Code: CodeSignerKeyUsage,
			What: fmt.Sprintf("the signer %q's extended key usage (%s) does not allow signing documents (a TLS certificate, for example)", who, names),
			Vi:   fmt.Sprintf("mục đích sử dụng mở rộng của chứng thư số %s (%s) không cho phép ký tài liệu (ví dụ chứng thư máy chủ TLS)", who, names)})
	}
	return out
}

func signingEKU(c *x509.Certificate) bool {
	for _, u := range c.ExtKeyUsage {
		if u == x509.ExtKeyUsageAny || u == x509.ExtKeyUsageEmailProtection {
			return true
		}
	}
	for _, o := range c.UnknownExtKeyUsage {
		if o.Equal(oidDocumentSigning) || o.Equal(oidAdobeAuthenticDoc) || o.Equal(oidMSDocumentSigning) {
			return true
		}
	}
	return false
}

func ekuNames(c *x509.Certificate) string {
	var n []string
	for _, u := range c.ExtKeyUsage {
		switch u {
		case x509.ExtKeyUsageServerAuth:
			n = append(n, "serverAuth")
		case x509.ExtKeyUsageClientAuth:
			n = append(n, "clientAuth")
		case x509.ExtKeyUsageCodeSigning:
			n = append(n, "codeSigning")
		case x509.ExtKeyUsageTimeStamping:
			n = append(n, "timeStamping")
		case x509.ExtKeyUsageOCSPSigning:
			n = append(n, "OCSPSigning")
		default:
			n = append(n, fmt.Sprintf("extended key usage %d", u))
		}
	}
	for _, o := range c.UnknownExtKeyUsage {
		n = append(n, o.String())
	}
	return strings.Join(n, ", ")
}

// SigningTimes are the times the signing-time rules compare.
type SigningTimes struct {
	// Claimed is the signing time the signer states (the CMS signing-time
	// attribute, a PDF's /M); zero when the signature has none.
	Claimed time.Time
	// Stamped is the time of the signature's verified RFC 3161 timestamp;
	// zero when it has none.
	Stamped time.Time
	// Now is the verifier's clock, the trusted time when there is no timestamp.
	Now time.Time
	// NotBefore, when set, is the earliest acceptable signing time (the start
	// of the bagging date, for a package seal).
	NotBefore time.Time
}

// Trusted is the time the certificate is judged at: the timestamp's when
// there is one, else the verifier's clock. The signer's own statement of
// the time is never trusted.
func (t SigningTimes) Trusted() time.Time {
	if !t.Stamped.IsZero() {
		return t.Stamped
	}
	return t.Now
}

// CheckTimes returns every signing-time rule broken by a signature of c: the
// certificate is valid at the trusted time (Trusted); there is a signing
// time; it is not after the trusted time (beyond ClockSkew), not more than
// StampLag before its timestamp, and not before NotBefore. Each problem has
// Check CheckTime.
func CheckTimes(c *x509.Certificate, t SigningTimes) []Problem {
	var out []Problem
	at, by, byVi := t.Trusted(), "the verifier's clock", "thời điểm kiểm tra"
	if !t.Stamped.IsZero() {
		by, byVi = "the RFC 3161 timestamp", "dấu thời gian RFC 3161"
	}
	f := func(x time.Time) string { return x.UTC().Format(time.RFC3339) }
	if at.Before(c.NotBefore) || at.After(c.NotAfter) {
		out = append(out, Problem{Check: CheckTime, Code: CodeCertificateExpired,
			What: fmt.Sprintf("the signer's certificate is not valid at %s (%s), the trusted time: valid %s to %s", f(at), by, f(c.NotBefore), f(c.NotAfter)),
			Vi:   fmt.Sprintf("chứng thư số của người ký không có hiệu lực tại %s (%s): hiệu lực từ %s đến %s", f(at), byVi, f(c.NotBefore), f(c.NotAfter))})
	}
	switch {
	case t.Claimed.IsZero():
		out = append(out, Problem{Check: CheckTime, Code: CodeSigningTime,
			What: "the signature states no signing time", Vi: "chữ ký số không ghi thời gian ký"})
		return out
	case t.Claimed.After(at.Add(ClockSkew)):
		out = append(out, Problem{Check: CheckTime, Code: CodeSigningTime,
			What: fmt.Sprintf("the signing time %s is in the future of %s (%s)", f(t.Claimed), f(at), by),
			Vi:   fmt.Sprintf("thời gian ký %s ở tương lai so với %s (%s)", f(t.Claimed), f(at), byVi)})
	case !t.Stamped.IsZero() && t.Claimed.Before(t.Stamped.Add(-StampLag)):
		out = append(out, Problem{Check: CheckTime, Code: CodeSigningTime,
			What: fmt.Sprintf("the signing time %s is more than %v before its timestamp %s: back-dated", f(t.Claimed), StampLag, f(t.Stamped)),
			Vi:   fmt.Sprintf("thời gian ký %s sớm hơn dấu thời gian %s quá %v: đã bị ghi lùi", f(t.Claimed), f(t.Stamped), StampLag)})
	}
	if !t.NotBefore.IsZero() && t.Claimed.Before(t.NotBefore) {
		out = append(out, Problem{Check: CheckTime, Code: CodeSigningTime,
			What: fmt.Sprintf("the signing time %s is before the bagging date (%s): back-dated", f(t.Claimed), f(t.NotBefore)),
			Vi:   fmt.Sprintf("thời gian ký %s trước ngày đóng gói (%s): đã bị ghi lùi", f(t.Claimed), f(t.NotBefore))})
	}
	return out
}

// BaggingStart is the earliest moment of the bagging date day (YYYY-MM-DD):
// its start in the earliest time zone (UTC+14), so that a package bagged on
// a machine in any zone keeps the rule. ok is false when day is not a date.
func BaggingStart(day string) (t time.Time, ok bool) {
	d, err := time.ParseInLocation("2006-01-02", strings.TrimSpace(day), time.FixedZone("+14", 14*3600))
	if err != nil {
		return time.Time{}, false
	}
	return d, true
}

// VerifyTimestamp checks the RFC 3161 timestamp token (a DER ContentInfo)
// over the signature value sig: it verifies, is over the SHA-256 of sig,
// carries the TSA's certificate, and, with roots, that certificate chains
// to roots (extended key usage timeStamping) at the timestamp's time. It
// returns the timestamp's time.
func VerifyTimestamp(token, sig []byte, roots *x509.CertPool) (time.Time, error) {
	var raw asn1.RawValue
	if rest, err := asn1.Unmarshal(token, &raw); err != nil || len(rest) != 0 {
		return time.Time{}, fmt.Errorf("dấu thời gian không đọc được / the timestamp cannot be read: %v", err)
	}
	ts, err := timestamp.Parse(raw.FullBytes)
	if err != nil {
		return time.Time{}, fmt.Errorf("dấu thời gian không hợp lệ / the timestamp does not verify: %v", err)
	}
	if len(ts.Certificates) == 0 {
		return time.Time{}, errors.New("dấu thời gian không mang chứng thư của TSA / the timestamp carries no TSA certificate")
	}
	want := sha256.Sum256(sig)
	if !bytes.Equal(ts.HashedMessage, want[:]) {
		return time.Time{}, errors.New("dấu thời gian không phải của chữ ký này / the timestamp is not over this signature")
	}
	if roots != nil {
		inter := x509.NewCertPool()
		for _, c := range ts.Certificates[1:] {
			inter.AddCert(c)
		}
		if _, err := ts.Certificates[0].Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter, CurrentTime: ts.Time,
			KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageTimeStamping}}); err != nil {
			return time.Time{}, fmt.Errorf("TSA %q không được CA đã cho tin cậy / the TSA is not trusted by the given CA: %v", ts.Certificates[0].Subject, err)
		}
	}
	return ts.Time, nil
}
