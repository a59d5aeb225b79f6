package pades

import (
	"bytes"
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"
	"github.com/smallstep/pkcs7"

	"github.com/sohoa-vn/sohoa/pipeline/seal"
)

// Checks a PDF signature problem can belong to.
const (
	CheckPresent     = "signature-present" // the file has a signature field
	CheckByteRange   = "byte-range"        // the signature covers the whole file but its own value
	CheckDigest      = "digest"            // the signed bytes are unchanged and the signature holds
	CheckCertificate = "certificate"       // the signer chains to the CA, signing time within validity
	CheckTimestamp   = "timestamp"         // the RFC 3161 timestamp verifies
)

// Problem is one failed check of one file.
type Problem struct {
	File   string // the PDF, as given to Verify (a slash path relative to the package in VerifyDir)
	Check  string
	Detail string
	// Code, when set, is the package-level code of a signer or signing-time
	// rule (seal.CodeSignerIsCA, seal.CodeSigningTime, ...).
	Code seal.Code
}

func (p Problem) String() string { return p.File + ": " + p.Check + ": " + p.Detail }

// Result is the verdict on one PDF's signature.
type Result struct {
	File        string
	Signer      *x509.Certificate // nil when no signature could be read
	SigningTime time.Time         // /M of the signature
	Timestamp   time.Time         // the RFC 3161 time; zero when the signature has no timestamp
	Problems    []Problem
}

// OK reports whether the file has a signature and every check held.
func (r *Result) OK() bool { return r.Signer != nil && len(r.Problems) == 0 }

// SignerName returns the signing certificate's organisation, or else its common name.
func (r *Result) SignerName() string {
	if r.Signer == nil {
		return ""
	}
	if o := r.Signer.Subject.Organization; len(o) > 0 {
		return o[0]
	}
	return r.Signer.Subject.CommonName
}

func (r *Result) add(check, format string, args ...any) {
	r.Problems = append(r.Problems, Problem{File: r.File, Check: check, Detail: fmt.Sprintf(format, args...)})
}

// VerifyOptions controls Verify.
type VerifyOptions struct {
	// Roots are the trusted CA certificates (the organisation's CA and the
	// TSA's). Without them no signer can be trusted: a failed check.
	Roots *x509.CertPool
	// Trust and OrgID bind the signer to the organisation: the certificate
	// must be OrgID's by Trust (see seal.Trust.CheckBinding). Without Trust
	// the binding is not checked here, so OK says only that the signature
	// holds and chains to Roots; a package's verdict (seal.Verify, which
	// DirCheck is part of) is then at best "not checked".
	Trust *seal.Trust
	OrgID string
	// Now is the verifier's clock, the trusted time of a signature without
	// a timestamp; default time.Now.
	Now func() time.Time
}

// Verify checks the signature of the PDF data, named name in the problems:
// there is a signature field with a signature; its byte range starts at 0,
// leaves out exactly the signature value and reaches the end of the file
// (nothing appended after signing); the digest of the signed bytes and the
// CMS signature hold; the certificate chains to opts.Roots and the signing
// time lies within its validity; the RFC 3161 timestamp, when present,
// verifies and is over this signature; the signer is fit to sign and is
// opts.OrgID's by opts.Trust; the certificate is valid at the trusted time
// (the timestamp's, else opts.Now) and /M is neither in the future of it nor
// back-dated before its timestamp.
func Verify(name string, data []byte, opts VerifyOptions) *Result {
	r := &Result{File: name}
	pctx, err := readPDF(data)
	if err != nil {
		r.add(CheckPresent, "không đọc được tệp PDF / the PDF cannot be read: %v", err)
		return r
	}
	sigs, err := signatureDicts(pctx.XRefTable)
	if err != nil {
		r.add(CheckPresent, "%v", err)
		return r
	}
	if len(sigs) == 0 {
		if bytes.Contains(data, []byte("/ByteRange")) {
			r.add(CheckPresent, "trường chữ ký đã bị gỡ khỏi tệp / the signature field was removed from the file (a signature dictionary remains without its field)")
		} else {
			r.add(CheckPresent, "tệp không có chữ ký số / the file has no digital signature")
		}
		return r
	}
	if len(sigs) > 1 {
		r.add(CheckPresent, "tệp có %d chữ ký, sohoa đặt đúng một / the file has %d signatures; sohoa makes exactly one", len(sigs), len(sigs))
	}
	r.check(data, sigs[0], opts)
	return r
}

// sigDict is what verification needs of a signature dictionary.
type sigDict struct {
	byteRange []int64
	contents  []byte
	subFilter string
	m         string
}

func signatureDicts(xt *model.XRefTable) ([]sigDict, error) {
	cat, err := xt.Catalog()
	if err != nil {
		return nil, fmt.Errorf("no document catalog: %v", err)
	}
	af, err := xt.DereferenceDict(cat["AcroForm"])
	if err != nil || af == nil {
		return nil, nil
	}
	fields, err := xt.DereferenceArray(af["Fields"])
	if err != nil {
		return nil, nil
	}
	var out []sigDict
	for _, f := range fields {
		fd, err := xt.DereferenceDict(f)
		if err != nil || fd == nil {
			continue
		}
		if ft, _ := fd["FT"].(types.Name); ft != "Sig" {
			continue
		}
		v, err := xt.DereferenceDict(fd["V"])
		if err != nil || v == nil {
			continue
		}
		var sd sigDict
		br, _ := xt.DereferenceArray(v["ByteRange"])
		for _, o := range br {
			if i, ok := o.(types.Integer); ok {
				sd.byteRange = append(sd.byteRange, int64(i))
			}
		}
		switch c := v["Contents"].(type) {
		case types.HexLiteral:
			sd.contents, _ = c.Bytes()
		case types.StringLiteral:
			sd.contents, _ = types.Unescape(string(c))
		}
		if n, ok := v["SubFilter"].(types.Name); ok {
			sd.subFilter = string(n)
		}
		if m, ok := v["M"].(types.StringLiteral); ok {
			sd.m = string(m)
		}
		out = append(out, sd)
	}
	return out, nil
}

func (r *Result) check(data []byte, sd sigDict, opts VerifyOptions) {
	br := sd.byteRange
	if len(br) != 4 {
		r.add(CheckByteRange, "/ByteRange không hợp lệ / malformed /ByteRange %v", br)
		return
	}
	size := int64(len(data))
	a, b, c, d := br[0], br[1], br[2], br[3]
	if a != 0 || b <= 0 || c <= b || d < 0 || c+d > size {
		r.add(CheckByteRange, "/ByteRange %v không khớp với tệp %d byte / does not fit the file of %d bytes", br, size, size)
		return
	}
	if c+d < size {
		r.add(CheckByteRange, "có %d byte được thêm vào sau khi ký (một bản cập nhật sau chữ ký) / %d bytes were appended after signing (an update made after the signature)", size-(c+d), size-(c+d))
	}
	if data[b] != '<' || data[c-1] != '>' || !isHex(data[b+1:c-1]) {
		r.add(CheckByteRange, "vùng không ký không đúng là giá trị chữ ký / the unsigned gap is not exactly the signature value")
	}
	if sd.subFilter != "ETSI.CAdES.detached" {
		r.add(CheckDigest, "SubFilter %q, không phải ETSI.CAdES.detached / not ETSI.CAdES.detached", sd.subFilter)
	}
	signed := make([]byte, 0, b+d)
	signed = append(append(signed, data[a:a+b]...), data[c:c+d]...)
	der := trimDER(sd.contents)
	p7, err := pkcs7.Parse(der)
	if err != nil || len(p7.Signers) != 1 {
		r.add(CheckDigest, "không đọc được chữ ký CMS / the CMS signature cannot be read: %v", err)
		return
	}
	r.Signer = p7.GetOnlySigner()
	if r.Signer == nil {
		r.add(CheckDigest, "chữ ký không mang chứng thư số của người ký / the signature does not carry the signer's certificate")
		return
	}
	p7.Content = signed
	if err := p7.Verify(); err != nil {
		r.add(CheckDigest, "nội dung đã bị thay đổi sau khi ký hoặc chữ ký sai / the signed bytes were changed after signing, or the signature is wrong: %v", err)
	}
	hasCertV2 := false
	for _, at := range p7.Signers[0].AuthenticatedAttributes {
		if at.Type.Equal(oidSigningCertificateV2) {
			hasCertV2 = certHashOK(at.Value.Bytes, r.Signer)
		}
	}
	if !hasCertV2 {
		r.add(CheckDigest, "thiếu thuộc tính signing-certificate-v2 khớp với chứng thư / no signing-certificate-v2 attribute naming the certificate")
	}
	if t, err := parsePDFDate(sd.m); err == nil {
		r.SigningTime = t
	} else {
		r.add(CheckCertificate, "thời gian ký /M không đọc được / the signing time /M cannot be read: %q", sd.m)
	}
	for _, ua := range p7.Signers[0].UnauthenticatedAttributes {
		if ua.Type.Equal(oidTimeStampToken) {
			t, err := seal.VerifyTimestamp(ua.Value.Bytes, p7.Signers[0].EncryptedDigest, opts.Roots)
			if err != nil {
				r.add(CheckTimestamp, "%v", err)
			} else {
				r.Timestamp = t
			}
		}
	}
	now := time.Now
	if opts.Now != nil {
		now = opts.Now
	}
	times := seal.SigningTimes{Claimed: r.SigningTime, Stamped: r.Timestamp, Now: now()}
	if times.Claimed.IsZero() {
		times.Claimed = times.Trusted() // an unreadable /M is said above; the certificate's validity is still checked
	}
	rules := append(seal.CheckSignerProfile(r.Signer), seal.CheckTimes(r.Signer, times)...)
	for _, p := range rules {
		r.Problems = append(r.Problems, Problem{File: r.File, Check: p.Check, Code: p.Code, Detail: p.Vi + " / " + p.What})
	}
	if opts.Roots == nil {
		r.add(CheckCertificate, "không có chứng thư CA để đối chiếu (--ca): không tin được người ký %q / no CA certificate given: the signer cannot be trusted", r.Signer.Subject)
		return
	}
	inter := x509.NewCertPool()
	for _, ic := range p7.Certificates {
		inter.AddCert(ic)
	}
	var expired x509.CertificateInvalidError
	if _, err := r.Signer.Verify(x509.VerifyOptions{Roots: opts.Roots, Intermediates: inter, CurrentTime: times.Trusted(),
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}}); err != nil &&
		!(errors.As(err, &expired) && expired.Cert == r.Signer && expired.Reason == x509.Expired) { // said by CheckTimes
		r.add(CheckCertificate, "người ký %q không được CA đã cho tin cậy / the signer is not trusted by the given CA: %v", r.Signer.Subject, err)
	}
	if opts.Trust == nil {
		return // the binding is the package verdict's: seal.Verify says "not checked" without trust
	}
	if p := opts.Trust.CheckBinding(opts.OrgID, r.Signer); p != nil {
		r.Problems = append(r.Problems, Problem{File: r.File, Check: p.Check, Code: p.Code, Detail: p.Vi + " / " + p.What})
	}
}

// trimDER drops the zero padding after the DER SignedData in /Contents.
func trimDER(b []byte) []byte {
	var raw asn1.RawValue
	if _, err := asn1.Unmarshal(b, &raw); err == nil {
		return raw.FullBytes
	}
	return b
}

func isHex(b []byte) bool {
	for _, c := range b {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}

// parsePDFDate reads D:YYYYMMDDHHmmSS followed by Z or ±HH'mm'.
func parsePDFDate(s string) (time.Time, error) {
	s = strings.TrimPrefix(s, "D:")
	if len(s) < 14 {
		return time.Time{}, fmt.Errorf("short date %q", s)
	}
	t, err := time.Parse("20060102150405", s[:14])
	if err != nil {
		return time.Time{}, err
	}
	tz := strings.ReplaceAll(s[14:], "'", "")
	if tz == "" || tz == "Z" {
		return t, nil
	}
	if len(tz) != 5 || (tz[0] != '+' && tz[0] != '-') {
		return time.Time{}, fmt.Errorf("bad zone %q", tz)
	}
	z, err := time.Parse("-0700", tz)
	if err != nil {
		return time.Time{}, err
	}
	_, off := z.Zone()
	return time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), 0, time.FixedZone("", off)), nil
}

// VerifyDir verifies every PDF sohoa made under dir (a package folder), in
// name order, named by their slash paths relative to dir. Folders named
// "originals" (the untouched scans) are left out.
func VerifyDir(dir string, opts VerifyOptions) ([]*Result, error) {
	var files []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && d.Name() == "originals" {
			return filepath.SkipDir
		}
		// Only regular files: a link or a FIFO named .pdf is never opened
		// (the bag check reports it), so verification cannot hang on one.
		if d.Type().IsRegular() && strings.EqualFold(filepath.Ext(p), ".pdf") {
			files = append(files, p)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("verify PDF signatures: %w", err)
	}
	sort.Strings(files)
	out := make([]*Result, 0, len(files))
	for _, f := range files {
		rel, _ := filepath.Rel(dir, f)
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("verify PDF signatures: %w", err)
		}
		out = append(out, Verify(filepath.ToSlash(rel), data, opts))
	}
	return out, nil
}

// Summary is the one-line verdict on a package's PDFs, e.g.
// "12/12 tệp có chữ ký hợp lệ của Sở Nội vụ tỉnh Bắc Minh".
func Summary(results []*Result) string {
	ok := 0
	signers := map[string]bool{}
	var names []string
	for _, r := range results {
		if r.OK() {
			ok++
			if n := r.SignerName(); !signers[n] {
				signers[n] = true
				names = append(names, n)
			}
		}
	}
	s := fmt.Sprintf("%d/%d tệp có chữ ký hợp lệ", ok, len(results))
	if len(names) > 0 {
		s += " của " + strings.Join(names, ", ")
	}
	return s
}
