package seal

import (
	"bytes"
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/smallstep/pkcs7"

	"github.com/sohoa-vn/sohoa/pipeline/bag"
	"github.com/sohoa-vn/sohoa/pipeline/mets"
)

// Checks, the Problem.Check values.
const (
	CheckBag         = "bag"         // BagIt structure, manifests, Payload-Oxum
	CheckFile        = "file"        // a missing, altered or unexpected file
	CheckMETS        = "mets"        // METS.xml against the files
	CheckSignature   = "signature"   // the CMS signature over the tag manifest
	CheckCertificate = "certificate" // the signer's certificate chain to the CA
	CheckChain       = "chain"       // the link to the previous seal
)

// Problem is one failed check of a sealed package.
type Problem struct {
	Check string // one of the Check constants
	Code  Code   // exactly what is wrong, one of the Code constants
	Path  string // the file concerned, relative to the package root; "" for the package as a whole
	What  string // what is wrong, in English
	Vi    string // what is wrong, in Vietnamese, for the handover record
}

// String formats the problem as one line: "PATH: WHAT", or "CHECK: WHAT"
// when no single file is concerned.
func (p Problem) String() string {
	if p.Path != "" {
		return p.Path + ": " + p.What
	}
	return p.Check + ": " + p.What
}

// VerifyOptions controls Verify.
type VerifyOptions struct {
	// Roots are the trusted CA certificates. Without them the signature is
	// still checked, but its signer cannot be trusted: a failed check.
	Roots *x509.CertPool
	// Previous, when set, is the folder of the organisation's previous sealed
	// package: the package's Previous-Seal-SHA256 must be its fingerprint.
	Previous string
	// PreviousSHA256, when set, is the fingerprint of the organisation's
	// previous seal as written in the previous handover record: the package's
	// Previous-Seal-SHA256 must equal it.
	PreviousSHA256 string
	// Trust binds signers to organisations: the seal's signer must be the
	// certificate of the package's Organization-Identifier. Without it (nil)
	// the binding cannot be told and the verdict is at best NotChecked.
	Trust *Trust
	// Now is the verifier's clock, the trusted time of a signature without
	// an RFC 3161 timestamp; default time.Now.
	Now func() time.Time
	// Checks are further checks run after the built-in ones; what they find
	// counts in the verdict like any other problem.
	Checks []Checker
}

// Report is the outcome of Verify: what the package says about itself, and
// every problem found. The package holds only when Problems is empty.
type Report struct {
	Dir          string
	Batch        string // External-Identifier
	Organisation string // Source-Organization
	OrgID        string // Organization-Identifier
	Complete     bool   // Sohoa-Batch-Status is "complete"
	Files        int    // payload files in the manifest
	Bytes        int64  // their total size

	// Fingerprint is the seal's fingerprint: the SHA-256 of
	// tagmanifest-sha256.txt.p7s in lower-case hex; "" when there is no signature.
	Fingerprint string
	// Signer is the certificate that made the signature; nil when it could not be read.
	Signer *x509.Certificate
	// SignedAt is the signing time in the signature, as the signer states
	// it; zero when absent.
	SignedAt time.Time
	// Stamped is the time of the seal's verified RFC 3161 timestamp; zero when it has none.
	Stamped time.Time
	// BaggingDate is bag-info.txt's Bagging-Date (YYYY-MM-DD).
	BaggingDate string

	PreviousSHA256 string // Previous-Seal-SHA256 from bag-info.txt
	PreviousBatch  string // Previous-Seal-Batch from bag-info.txt
	// PreviousChecked is true when a previous package or seal fingerprint was
	// given and matches PreviousSHA256 (and no previous-seal check failed).
	PreviousChecked bool
	// SignatureChecked is true when a CA certificate was given and the
	// signature and its signer's chain to it were checked (whatever the result).
	SignatureChecked bool

	Problems []Problem
}

// OK reports whether every check held.
func (r *Report) OK() bool { return len(r.Problems) == 0 }

// SignerSubject returns the signing certificate's subject, e.g.
// "CN=…,O=Sở Nội vụ tỉnh …", or "" when unknown.
func (r *Report) SignerSubject() string {
	if r.Signer == nil {
		return ""
	}
	return r.Signer.Subject.String()
}

// add records a problem: vi says it in Vietnamese, format and args in English.
func (r *Report) add(check string, code Code, p, vi, format string, args ...any) {
	r.Problems = append(r.Problems, Problem{Check: check, Code: code, Path: p, What: fmt.Sprintf(format, args...), Vi: vi})
}

// Verify checks the sealed package at dir, offline: the bag is complete and
// valid (every manifest line against its file, no unlisted or unexpected
// file, Payload-Oxum), every file METS.xml lists has the SHA-256 and size it
// says and every payload file is listed, the signature over the tag
// manifest, the signer's certificate (fit to sign, the organisation's by
// opts.Trust, chained to opts.Roots and valid at the trusted time: the
// seal's timestamp, else opts.Now), the signing time (not in the future, not
// before the bagging date), and, with opts.Previous, the link to the
// previous seal. It returns
// every problem in the report; the error is only for a package that cannot
// be read at all or a cancelled context.
func Verify(ctx context.Context, dir string, opts VerifyOptions) (*Report, error) {
	r := &Report{Dir: dir}
	if fi, err := os.Stat(dir); err != nil {
		return nil, fmt.Errorf("verify: %w", err)
	} else if !fi.IsDir() {
		return nil, fmt.Errorf("verify %s: not a folder", dir)
	}
	probs, err := bag.ValidateContext(ctx, dir)
	if err != nil {
		return nil, fmt.Errorf("verify: %w", err)
	}
	for _, p := range probs {
		r.Add(bagProblem(string(p.Kind), p.Path, p.What))
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("verify %s: %w", dir, err)
	}

	info, err := bag.ReadInfo(filepath.Join(dir, bag.InfoFile))
	if err == nil {
		r.Batch, r.Organisation, r.OrgID = info.Get("External-Identifier"), info.Get("Source-Organization"), info.Get("Organization-Identifier")
		r.Complete = info.Get("Sohoa-Batch-Status") == "complete"
		r.BaggingDate = info.Get("Bagging-Date")
		r.checkComplete(dir, info.Get("Sohoa-Batch-Status"))
		r.PreviousSHA256, r.PreviousBatch = info.Get(PreviousLabel), info.Get(PreviousBatchLabel)
	}
	payload, _ := bag.ReadManifest(filepath.Join(dir, bag.ManifestFile))
	tags, _ := bag.ReadManifest(filepath.Join(dir, bag.TagManifestFile))
	r.unexpected(dir, tags)
	r.checkMETS(dir, payload)
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("verify %s: %w", dir, err)
	}
	now := time.Now
	if opts.Now != nil {
		now = opts.Now
	}
	r.checkSignature(dir, opts.Roots, opts.Trust, now())
	if opts.Previous != "" {
		r.checkPrevious(opts.Previous)
	}
	if want := strings.ToLower(strings.TrimSpace(opts.PreviousSHA256)); want != "" {
		switch {
		case r.PreviousSHA256 == "":
			r.add(CheckChain, CodeChain, bag.InfoFile, "gói tin không ghi dấu niêm phong trước (Previous-Seal-SHA256) nhưng đã cho dấu niêm phong trước "+want, "no %s: this package records no previous seal, but %s was given", PreviousLabel, want)
		case !strings.EqualFold(r.PreviousSHA256, want):
			r.add(CheckChain, CodeChain, bag.InfoFile, "dấu niêm phong trước ghi trong gói ("+r.PreviousSHA256+") không khớp dấu niêm phong trước đã cho "+want+": thiếu gói tin ở giữa, hoặc không phải gói liền trước", "%s %s (batch %s) is not the given previous seal %s: a package is missing between them, or it is not the previous one",
				PreviousLabel, r.PreviousSHA256, r.PreviousBatch, want)
		case opts.Previous == "":
			r.PreviousChecked = true
		}
	}
	for _, p := range r.Problems {
		if p.Check == CheckChain {
			r.PreviousChecked = false
		}
	}
	for _, c := range opts.Checks {
		if err := c(ctx, dir, r); err != nil {
			return nil, fmt.Errorf("verify %s: %w", dir, err)
		}
	}
	return r, nil
}

// unexpected reports files outside data/ that no tag manifest lists (files
// under data/ are the bag check's).
func (r *Report) unexpected(dir string, tags map[string]string) {
	if tags == nil {
		return
	}
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		rel, _ := filepath.Rel(dir, p)
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			if rel == bag.PayloadDir {
				return filepath.SkipDir
			}
			return nil
		}
		if rel == bag.TagManifestFile || rel == bag.SignatureFile {
			return nil
		}
		if _, ok := tags[rel]; !ok {
			r.add(CheckFile, CodeFileAdded, rel, "tệp tin thừa, không có trong "+bag.TagManifestFile, "unexpected file: not listed in %s", bag.TagManifestFile)
		}
		return nil
	})
}

// checkMETS compares every file METS.xml lists with the payload manifest
// (whose checksums the bag check compares with the files) and the file's
// size on disk, and looks for payload files METS.xml leaves out.
func (r *Report) checkMETS(dir string, payload map[string]string) {
	f, err := os.Open(filepath.Join(dir, filepath.FromSlash(bag.METSFile)))
	if err != nil {
		r.add(CheckMETS, CodeMETS, bag.METSFile, "không đọc được METS.xml", "cannot be read: %v", err)
		return
	}
	defer f.Close()
	listed, err := mets.Files(f)
	if err != nil {
		r.add(CheckMETS, CodeMETS, bag.METSFile, "METS.xml không hợp lệ", "not a readable METS document: %v", err)
		return
	}
	seen := map[string]bool{}
	for _, l := range listed {
		href := l.Href
		if href == "" || path.IsAbs(href) || path.Clean(href) != href || !strings.HasPrefix(href, bag.PayloadDir+"/") {
			r.add(CheckMETS, CodeMETS, bag.METSFile, "METS.xml ghi vị trí tệp tin không hợp lệ: "+href, "file %s has an invalid location %q", l.ID, href)
			continue
		}
		seen[href] = true
		if !strings.EqualFold(l.ChecksumType, mets.ChecksumT) {
			r.add(CheckMETS, CodeMETS, href, "METS.xml không ghi giá trị kiểm tra SHA-256", "METS.xml CHECKSUMTYPE is %q, not SHA-256", l.ChecksumType)
		}
		fi, err := os.Stat(filepath.Join(dir, filepath.FromSlash(href)))
		if err != nil {
			r.add(CheckMETS, CodeFileMissing, href, "thiếu tệp tin (có trong METS.xml nhưng không có trong gói)", "listed in METS.xml but missing")
			continue
		}
		if l.Size != fi.Size() {
			r.add(CheckMETS, CodeMETS, href, fmt.Sprintf("dung lượng %d byte không khớp METS.xml (%d byte)", fi.Size(), l.Size), "size %d does not match METS.xml SIZE %d", fi.Size(), l.Size)
		}
		if sum, ok := payload[href]; !ok {
			r.add(CheckMETS, CodeMETS, href, "có trong METS.xml nhưng không có trong manifest-sha256.txt", "listed in METS.xml but not in manifest-sha256.txt")
		} else if !strings.EqualFold(sum, l.Checksum) {
			r.add(CheckMETS, CodeMETS, href, "giá trị SHA-256 trong METS.xml không khớp manifest-sha256.txt", "METS.xml CHECKSUM %s does not match manifest-sha256.txt %s", l.Checksum, sum)
		}
	}
	for p := range payload {
		r.Files++
		if fi, err := os.Stat(filepath.Join(dir, filepath.FromSlash(p))); err == nil {
			r.Bytes += fi.Size()
		}
		if !seen[p] {
			r.add(CheckMETS, CodeMETS, p, "tệp tin không có trong METS.xml", "payload file not listed in METS.xml")
		}
	}
}

// checkSignature checks the seal: the CMS signature over the tag manifest;
// the signer's certificate is fit to sign (not a CA, key usage), is the
// organisation's by trust, chains to roots at the trusted time (the
// timestamp's, else now) and was valid then; the signing time is neither in
// the future nor before the bagging date.
func (r *Report) checkSignature(dir string, roots *x509.CertPool, trust *Trust, now time.Time) {
	der, err := os.ReadFile(filepath.Join(dir, bag.SignatureFile))
	if err != nil {
		r.add(CheckSignature, CodeUnsealed, bag.SignatureFile, "gói chưa được ký số (không có chữ ký niêm phong)", "missing: the package is not sealed")
		return
	}
	r.Fingerprint = fingerprint(der)
	tm, err := os.ReadFile(filepath.Join(dir, bag.TagManifestFile))
	if err != nil {
		r.add(CheckSignature, CodeSignature, bag.TagManifestFile, "không đọc được, nên không kiểm tra được chữ ký số", "cannot be read, so the signature cannot be checked: %v", err)
		return
	}
	p7, err := pkcs7.Parse(der)
	if err != nil {
		r.add(CheckSignature, CodeSignature, bag.SignatureFile, "không phải chữ ký số CMS hợp lệ", "not a CMS signature: %v", err)
		return
	}
	if len(p7.Content) > 0 && !bytes.Equal(p7.Content, tm) {
		r.add(CheckSignature, CodeSignature, bag.SignatureFile, "chữ ký số chứa nội dung khác "+bag.TagManifestFile, "holds content other than %s", bag.TagManifestFile)
	}
	p7.Content = tm
	r.Signer = p7.GetOnlySigner()
	if r.Signer == nil {
		r.add(CheckSignature, CodeSignature, bag.SignatureFile, "chữ ký số không có đúng một người ký", "has %d signers and certificates that do not match, want exactly one signer", len(p7.Signers))
		return
	}
	var signed time.Time
	if err := p7.UnmarshalSignedAttribute(pkcs7.OIDAttributeSigningTime, &signed); err == nil {
		r.SignedAt = signed
	}
	if err := p7.Verify(); err != nil {
		r.add(CheckSignature, CodeSignature, bag.TagManifestFile, "không khớp chữ ký số (đã bị thay đổi sau khi niêm phong, hoặc chữ ký của gói khác)", "does not match the signature in %s (changed after sealing, or signed for another package): %v", bag.SignatureFile, err)
	}
	for _, ua := range p7.Signers[0].UnauthenticatedAttributes {
		if ua.Type.Equal(oidTimeStampToken) {
			t, err := VerifyTimestamp(ua.Value.Bytes, p7.Signers[0].EncryptedDigest, roots)
			if err != nil {
				r.add(CheckTime, CodeSigningTime, bag.SignatureFile, "dấu thời gian của chữ ký niêm phong không hợp lệ: "+err.Error(), "the seal's timestamp: %v", err)
			} else {
				r.Stamped = t
			}
		}
	}
	for _, p := range CheckSignerProfile(r.Signer) {
		r.Add(p)
	}
	times := SigningTimes{Claimed: r.SignedAt, Stamped: r.Stamped, Now: now}
	if t, ok := BaggingStart(r.BaggingDate); ok {
		times.NotBefore = t
	}
	for _, p := range CheckTimes(r.Signer, times) {
		p.Path = bag.SignatureFile
		r.Add(p)
	}
	if roots == nil {
		r.add(CheckCertificate, CodeSignatureNotChecked, "", "chữ ký số chưa được kiểm tra: không có chứng thư số CA của tổ chức (--ca), nên không xác định được ai đã ký", "no CA certificate given: the signer %q cannot be trusted (pass the organisation's CA certificate)", r.Signer.Subject)
		return
	}
	r.SignatureChecked = true
	inter := x509.NewCertPool()
	for _, c := range p7.Certificates {
		inter.AddCert(c)
	}
	at := times.Trusted()
	var expired x509.CertificateInvalidError
	if _, err := r.Signer.Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter, CurrentTime: at,
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}}); err != nil &&
		!(errors.As(err, &expired) && expired.Cert == r.Signer && expired.Reason == x509.Expired) { // said by CheckTimes
		r.add(CheckCertificate, CodeSignerUntrusted, "", "người ký "+r.Signer.Subject.String()+" không được chứng thư CA đã cho tin cậy (ký bằng khóa khác, hoặc sai chứng thư CA)", "signer %q is not trusted by the given CA at the trusted time %s: %v",
			r.Signer.Subject, at.UTC().Format(time.RFC3339), err)
	}
	if p := trust.CheckBinding(r.OrgID, r.Signer); p != nil {
		r.Add(*p)
	}
}

func (r *Report) checkPrevious(prevDir string) {
	fp, err := Fingerprint(prevDir)
	if err != nil {
		r.add(CheckChain, CodeChain, "", "gói tin trước không có dấu niêm phong đọc được", "previous package %s has no readable seal: %v", prevDir, err)
		return
	}
	prevBatch := ""
	if in, err := bag.ReadInfo(filepath.Join(prevDir, bag.InfoFile)); err == nil {
		prevBatch = in.Get("External-Identifier")
		if id := in.Get("Organization-Identifier"); id != r.OrgID {
			r.add(CheckChain, CodeChain, "", "gói tin trước thuộc cơ quan, tổ chức khác", "previous package %s is of organisation %q, this one of %q", prevDir, id, r.OrgID)
		}
	}
	switch {
	case r.PreviousSHA256 == "":
		r.add(CheckChain, CodeChain, bag.InfoFile, "gói tin không ghi dấu niêm phong trước nhưng đã cho gói tin trước "+prevBatch, "no %s: this package records no previous seal, but %s (batch %s, seal %s) was given as previous", PreviousLabel, prevDir, prevBatch, fp)
	case !strings.EqualFold(r.PreviousSHA256, fp):
		r.add(CheckChain, CodeChain, bag.InfoFile, "dấu niêm phong trước ghi trong gói không khớp dấu niêm phong của gói "+prevBatch+": thiếu gói tin ở giữa, hoặc không phải gói liền trước", "%s %s (batch %s) does not match the seal of %s (batch %s, seal %s): a package is missing between them, or it is not the previous one",
			PreviousLabel, r.PreviousSHA256, r.PreviousBatch, prevDir, prevBatch, fp)
	default:
		r.PreviousChecked = true
	}
}
